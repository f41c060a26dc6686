"""Render the monitoring role's rule template with the role's default thresholds, for promtool test rules.

  render_rules.py OUT   writes the rules as the role would with its defaults (and the dev
                        inventory's allowed ports: 22, 80, 443)
"""
import os
import sys

import jinja2
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
ROLE = os.path.join(ROOT, 'roles', 'monitoring')


def main(out):
    with open(os.path.join(ROLE, 'defaults', 'main.yml')) as handle:
        defaults = yaml.safe_load(handle)
    with open(os.path.join(ROLE, 'vars', 'main.yml')) as handle:
        role_vars = yaml.safe_load(handle)
    with open(os.path.join(ROLE, 'templates', 'rules.yml.j2')) as handle:
        text = handle.read()
    header, body = text.split('\n', 1)
    assert header.startswith('#jinja2:'), 'rules.yml.j2 must start with its delimiter line'
    env = jinja2.Environment(variable_start_string='[[', variable_end_string=']]', undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True)
    values = {key: value for key, value in defaults.items() if not (isinstance(value, str) and '{{' in value)}
    values.update(monitoring_managed=role_vars['monitoring_managed'], monitoring_allowed_ports=['22', '80', '443'])
    with open(out, 'w') as handle:
        handle.write(env.from_string(body).render(**values))


if __name__ == '__main__':
    main(sys.argv[1])
