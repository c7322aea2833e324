"""Makes the Kubernetes JSON schemas that the PyPI package kubernetes-validate ships readable by
kubeconform offline (helm/test/tier1 reads them with -schema-location DIR/{{.ResourceKind}}{{.KindSuffix}}.json).

Usage: kubeconform-schemas.py WHEEL VERSION OUT_DIR
  WHEEL    the kubernetes-validate wheel (pip download --no-deps)
  VERSION  the Kubernetes version whose strict schemas to take, like v1.37.0
  OUT_DIR  the directory to write (replaced)

The wheel's "-local-strict" schemas refer to one shared _definitions.json by an absolute $id
(https://kubernetes.io/api/_definitions.json), which kubeconform would try to fetch; each file's own
$id would make it resolve even relative references against that host. So each file loses its $id
and its references become relative to the file ("_definitions.json#/$defs/..."), which kubeconform
resolves beside the file it read, offline."""
import json
import os
import shutil
import sys
import zipfile

ABSOLUTE = '"/api/_definitions.json#'
RELATIVE = '"_definitions.json#'


def main(wheel, version, out_dir):
    prefix = f"kubernetes_validate/kubernetes-json-schema/{version}-local-strict/"
    partial = out_dir + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(partial)
    count = 0
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            if not name.startswith(prefix) or not name.endswith(".json"):
                continue
            doc = json.loads(z.read(name))
            doc.pop("$id", None)
            text = json.dumps(doc).replace(ABSOLUTE, RELATIVE)
            with open(os.path.join(partial, name[len(prefix):]), "w") as f:
                f.write(text)
            count += 1
    if count == 0 or not os.path.exists(os.path.join(partial, "_definitions.json")):
        sys.exit(f"kubeconform-schemas: {wheel}: no schemas under {prefix} (expected: a kubernetes-validate wheel with {version})")
    shutil.rmtree(out_dir, ignore_errors=True)
    os.rename(partial, out_dir)
    print(f"{count} schemas of Kubernetes {version} in {out_dir}")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: kubeconform-schemas.py WHEEL VERSION OUT_DIR")
    main(*sys.argv[1:])
