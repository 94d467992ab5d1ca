"""A small secrets scan for the security review (S07).

Walks the project (skipping .git, .agentctl and the files agentctl writes) and reports lines
that look like committed credentials: private key blocks, AWS access key ids, and assignments of
literal values to names such as password, secret, token or api_key. Prints one line per finding
and exits 1 when there is any, 0 when the tree is clean, so agentctl can require a clean run as
S07 evidence. Standard library only.
"""

import os
import re
import sys

SKIP_DIRECTORIES = {".git", ".agentctl", "node_modules", "target", "__pycache__"}
SKIP_FILES = {"AUDIT_LOG.md", "PROJECT_STATE.md"}
THIS_FILE = os.path.abspath(__file__)
PATTERNS = [
    ("private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("AWS access key id", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    (
        "literal credential",
        re.compile(
            r"(?i)\b(password|passwd|secret|token|api[_-]?key)\b\s*[:=]\s*['\"][^'\"\s]{8,}['\"]"
        ),
    ),
]


def scan(root):
    findings = []
    scanned = 0
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if d not in SKIP_DIRECTORIES)
        for name in sorted(files):
            path = os.path.join(directory, name)
            # Its own patterns would be findings; only this very file is skipped.
            if name in SKIP_FILES or os.path.abspath(path) == THIS_FILE:
                continue
            try:
                with open(path, encoding="utf-8") as handle:
                    lines = handle.readlines()
            except (OSError, UnicodeDecodeError):
                continue
            scanned += 1
            for number, line in enumerate(lines, start=1):
                for label, pattern in PATTERNS:
                    if pattern.search(line):
                        findings.append("%s:%d: %s" % (os.path.relpath(path, root), number, label))
    return scanned, findings


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    scanned, findings = scan(root)
    for finding in findings:
        print(finding)
    print("scanned %d files, %d findings" % (scanned, len(findings)))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
