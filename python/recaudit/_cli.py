"""The ``recaudit`` console command of the wheel: the same Rust command line as the binary."""

import sys

from recaudit import _recaudit


def main() -> None:
    """Runs ``recaudit`` with the process's arguments and exits with its code (0, 1 or 2)."""
    sys.exit(_recaudit.main(["recaudit", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
