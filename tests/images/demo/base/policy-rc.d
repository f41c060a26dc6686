#!/bin/sh
# No service manager in a container image: packages must not try to start services.
exit 101
