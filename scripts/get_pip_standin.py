"""Stand-in for the pip bootstrap script that ansible-test downloads.

ansible-test fetches get-pip.py from a host this project's machines cannot reach. This
script does the same job from what Python ships: bootstrap pip with ensurepip, then run
`pip install` with the arguments ansible-test passes (minus two get-pip.py-only flags),
against the machine's own pip configuration (its index and trust store).
"""
import ensurepip
import os
import subprocess
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}


def main():
    ensurepip.bootstrap(upgrade=True)
    # ensurepip points PIP_CONFIG_FILE at /dev/null; the next step needs the real one.
    os.environ.pop("PIP_CONFIG_FILE", None)
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    return subprocess.call([sys.executable, "-m", "pip", "install", *args])


if __name__ == "__main__":
    sys.exit(main())
