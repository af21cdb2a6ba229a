#!/usr/bin/env bash
# End-to-end on a real Kubernetes cluster (kind), for those who have Docker:
#   deploy/e2e-kind.sh            install with kustomize (deploy/)
#   deploy/e2e-kind.sh helm       install with the Helm chart (deploy/helm/sealsync)
# It builds the image from deploy/Dockerfile, loads it into a new kind cluster, installs, waits
# for both replicas, checks that one leads, fetches the certificate through the Service proxy
# (as `seal --fetch-cert` does), seals a Secret with `seal`, checks that the controller unseals
# it, then deletes the leader Pod and checks that the other replica takes over.
#
# Needs docker, kind, kubectl, cargo (to build `seal`), and helm for the Helm mode. The cluster
# is deleted at the end unless KEEP_CLUSTER=1. KIND_CLUSTER names it (default sealsync-e2e).
# Not run by CI: CI machines have no Docker engine.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-kustomize}
cluster=${KIND_CLUSTER:-sealsync-e2e}
ns=sealsync-system
work=$(mktemp -d)

say() { printf '== %s\n' "$*"; }
fail() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

case "$mode" in
  kustomize | helm) ;;
  *) fail "unknown mode $mode; use: $0 [kustomize|helm]" ;;
esac
tools=(docker kind kubectl cargo)
if [ "$mode" = helm ]; then tools+=(helm); fi
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed"
done

cleanup() {
  status=$?
  if [ "$status" -ne 0 ] && kind get clusters 2>/dev/null | grep -qx "$cluster"; then
    kubectl -n "$ns" get pods -o wide || true
    kubectl -n "$ns" logs -l app.kubernetes.io/name=sealsync --tail=50 --prefix || true
  fi
  if [ -z "${KEEP_CLUSTER:-}" ]; then
    kind delete cluster --name "$cluster" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

# The image reference the manifests use, so that no manifest needs changing.
image=$(kubectl kustomize deploy/ | awk '$1 == "image:" { print $2; exit }')
[ -n "$image" ] || fail "no image in deploy/"
say "building $image"
docker build -f deploy/Dockerfile -t "$image" .
say "building seal"
cargo build --release --locked -p seal
seal=$PWD/target/release/seal

if ! kind get clusters 2>/dev/null | grep -qx "$cluster"; then
  say "creating kind cluster $cluster"
  kind create cluster --name "$cluster" --wait 120s
fi
kubectl config use-context "kind-$cluster"
kind load docker-image "$image" --name "$cluster"

say "installing with $mode"
if [ "$mode" = helm ]; then
  helm upgrade --install sealsync deploy/helm/sealsync --namespace "$ns" --create-namespace \
    --set image.repository="${image%:*}" --set image.tag="${image##*:}"
else
  kubectl apply --server-side -k deploy/
fi
kubectl -n "$ns" rollout status deployment/sealsync --timeout=180s
kubectl -n "$ns" wait --for=condition=Ready pod -l app.kubernetes.io/name=sealsync --timeout=120s

leader() {
  kubectl -n "$ns" get lease sealsync-controller -o jsonpath='{.spec.holderIdentity}' 2>/dev/null
}
for _ in $(seq 60); do
  [ -n "$(leader)" ] && break
  sleep 2
done
first=$(leader)
[ -n "$first" ] || fail "no replica holds the lease sealsync-controller"
say "leader: $first"

say "fetching the certificate through the Service proxy"
kubectl get --raw "/api/v1/namespaces/$ns/services/http:sealsync:/proxy/v1/cert.pem" >"$work/cert.pem"
grep -q 'BEGIN CERTIFICATE' "$work/cert.pem" || fail "the Service proxy gave no certificate"

say "sealing and unsealing a Secret"
kubectl create namespace e2e --dry-run=client -o yaml | kubectl apply -f -
kubectl -n e2e create secret generic db --from-literal=password=e2e-value --dry-run=client -o yaml |
  "$seal" --cert "$work/cert.pem" >"$work/db.sealed.yaml"
kubectl apply -f "$work/db.sealed.yaml"
for _ in $(seq 60); do
  kubectl -n e2e get secret db >/dev/null 2>&1 && break
  sleep 2
done
value=$(kubectl -n e2e get secret db -o jsonpath='{.data.password}' | base64 -d)
[ "$value" = e2e-value ] || fail "Secret e2e/db holds the wrong value"

say "failover: deleting the leader's Pod"
kubectl -n "$ns" delete pod "${first%-*}" --wait=false
for _ in $(seq 60); do
  now=$(leader)
  [ -n "$now" ] && [ "$now" != "$first" ] && break
  sleep 2
done
[ "$(leader)" != "$first" ] || fail "the lease did not move to the other replica"
say "new leader: $(leader)"

say "passed ($mode)"
