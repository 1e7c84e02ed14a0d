"""A signing command for CommandSigner tests: ``python sign_command.py KEY_FILE``.

It reads the text to sign from standard input, signs it with the PKCS#8
GOST key in KEY_FILE through ``accounts.esia.gost`` and prints the signature
in base64, the way an external crypto provider's wrapper would.
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from accounts.esia import gost


def main(arguments: list[str]) -> int:
    if len(arguments) != 1:
        print("usage: sign_command.py KEY_FILE", file=sys.stderr)
        return 2
    key = gost.private_key_from_pem(Path(arguments[0]).read_text(encoding="ascii"))
    signature = gost.sign(key, sys.stdin.buffer.read())
    print(base64.b64encode(signature).decode("ascii"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
