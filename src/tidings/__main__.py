import sys

from tidings.cli import main

if __name__ == "__main__":  # not when a worker process imports it again
    sys.exit(main())
