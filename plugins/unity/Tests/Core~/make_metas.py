"""Write the .meta file Unity needs next to every package asset that lacks one (a package installed
from a git URL is immutable: Unity ignores assets without .meta there). GUIDs are derived from the
package name and the path, so rerunning gives the same files. Folders ending in ~ are skipped, as
Unity skips them.  Usage: python plugins/unity/Tests/Core~/make_metas.py"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "com.facecast.unity"

TAIL = "  userData: \n  assetBundleName: \n  assetBundleVariant: \n"
IMPORTERS = {
    ".cs": "MonoImporter:\n  externalObjects: {}\n  serializedVersion: 2\n  defaultReferences: []\n"
    "  executionOrder: 0\n  icon: {instanceID: 0}\n" + TAIL,
    ".asmdef": "AssemblyDefinitionImporter:\n  externalObjects: {}\n" + TAIL,
    ".json": "PackageManifestImporter:\n  externalObjects: {}\n" + TAIL,
    ".md": "TextScriptImporter:\n  externalObjects: {}\n" + TAIL,
}
FOLDER = "folderAsset: yes\nDefaultImporter:\n  externalObjects: {}\n" + TAIL


def guid(rel: str) -> str:
    return hashlib.md5(f"{PACKAGE}/{rel}".encode()).hexdigest()


def assets(root: Path = ROOT):
    """Every file and folder Unity imports (not .meta files, not inside folders ending in ~)."""
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if any(part.endswith("~") or part.startswith(".") for part in rel.parts) or p.suffix == ".meta":
            continue
        yield p, rel.as_posix()


def meta_text(p: Path, rel: str) -> str:
    if p.is_dir():
        body = FOLDER
    else:
        body = IMPORTERS.get(p.suffix, "DefaultImporter:\n  externalObjects: {}\n" + TAIL)
    return f"fileFormatVersion: 2\nguid: {guid(rel)}\n{body}"


def main() -> int:
    written = 0
    for p, rel in assets():
        meta = p.with_name(p.name + ".meta")
        if not meta.exists():
            meta.write_text(meta_text(p, rel))
            written += 1
    print(f"wrote {written} .meta file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
