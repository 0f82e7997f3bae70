import sys

try:
    from .cli import main
except KeyboardInterrupt:  # Ctrl-C while Python imports the package: one line, exit 130
    print("billing-model: interrupted", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
