#!/usr/bin/env bash
# tests/containers/containers-kube.t — the Kubernetes pod spec of docs/credentials.md, run by
# podman kube play: the pod starts, the workload sees its secrets (a Secret volume and the
# Vault-rendered env file), a changed env file restarts it, and the pod stops cleanly.
#
# The spec is read from the doc itself (the ```yaml block with "kind: Pod"). Changed for the
# test, and said so below: the image (the one Dockerfile.example builds), the workload after
# "--" (ct-probe serve instead of /app/api, the same --db=${DB_HOST} argument), hostPath
# volumes: /vault/secrets (the Vault injector's volume; podman has no injector), /t, /results,
# and annotation values over 63 characters dropped (podman before 5.0 refuses them).
# A Kubernetes Secret "api-tokens" goes into the same YAML, as kubectl apply would take it.
set -u
. "$SOURCE_ROOT/tests/lib/tap.sh"
. "$SOURCE_ROOT/tests/containers/ct-lib.sh"

ct_requirements
if ! python3 -c 'import yaml' 2>/dev/null; then
	ok 1 "python3-yaml is installed"
	diag "run build/setup.sh (package python3-yaml)"
	done_testing
	exit 1
fi
# The pod and Secret names are the doc's ("api", "api-tokens"): one kube test at a time on
# this machine, whichever checkout it comes from.
exec 8>/tmp/usher-containers-kube.lock
flock -w 600 8 || { ok 1 "the kube test lock (/tmp/usher-containers-kube.lock)"; done_testing; exit 1; }
ct_setup
ct_image
diag "image: $CT_IMAGE — $CT_VARIANT"

vault="$CT_TMP/vault" kube="$CT_TMP/pod.yaml" R="$CT_RES/kube"
mkdir -p "$vault" "$R" && chmod 1777 "$R"
printf '%s\n' 'DB_HOST="db.internal"' 'DB_PASSWORD="pw-123"' >"$vault/app.env" && chmod 0600 "$vault/app.env"
changes=$(python3 - "$SOURCE_ROOT/docs/credentials.md" "$kube" "$CT_IMAGE" "$CT_BIN" "$R" "$vault" <<'EOF'
import base64, re, sys, yaml
doc, out, image, bindir, results, vault = sys.argv[1:]
blocks = re.findall(r"```yaml\n(.*?)```", open(doc).read(), re.S)
pods = [b for b in blocks if re.search(r"^kind: Pod$", b, re.M)]
assert len(pods) == 1, f"{doc}: expected one ```yaml block with kind: Pod, found {len(pods)}"
pod = yaml.safe_load(pods[0])
c = pod["spec"]["containers"][0]
changes = []
# podman < 5.0 refuses annotation values over 63 characters (podman#21667; Kubernetes allows
# 256 KiB): the injector's template goes. Vault's annotations do nothing without the injector.
for key, value in list(pod["metadata"].get("annotations", {}).items()):
    if len(value) > 63:
        del pod["metadata"]["annotations"][key]
        changes.append(f"dropped annotation {key} ({len(value)} characters; podman#21667)")
changes.append(f"image {c['image']} -> {image}")
c["image"] = image
args = c["args"]
cut = args.index("--")
workload = args[cut + 1:]
assert workload[0] == "/app/api", workload
c["args"] = args[:cut + 1] + ["/t/ct-probe", "/results", "serve", "probe"] + workload[1:] + \
    ["DB_HOST", "DB_PASSWORD", "API_TOKEN", "tls.crt"]
changes.append(f"workload {' '.join(workload)} -> {' '.join(c['args'][cut + 1:])}")
c["volumeMounts"] += [{"name": "vault-secrets", "mountPath": "/vault/secrets", "readOnly": True},
                      {"name": "t", "mountPath": "/t", "readOnly": True},
                      {"name": "results", "mountPath": "/results"}]
pod["spec"]["volumes"] += [{"name": "vault-secrets", "hostPath": {"path": vault}},
                           {"name": "t", "hostPath": {"path": bindir}},
                           {"name": "results", "hostPath": {"path": results}}]
changes.append("added hostPath volumes /vault/secrets (for the injector), /t, /results")
secret_name = [v for v in pod["spec"]["volumes"] if "secret" in v][0]["secret"]["secretName"]
secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": secret_name},
          "data": {"API_TOKEN": base64.b64encode(b"tok-1").decode(), "tls.crt": base64.b64encode(b"CERT").decode()}}
with open(out, "w") as f:
    yaml.safe_dump_all([secret, pod], f, sort_keys=False)
print("\n".join(changes))
EOF
)
ok $? "the pod spec from docs/credentials.md, with the test's changes"
printf '%s\n' "$changes" | while IFS= read -r l; do diag "  changed: $l"; done
pod=$(python3 -c 'import sys,yaml; print([d for d in yaml.safe_load_all(open(sys.argv[1])) if d["kind"] == "Pod"][0]["metadata"]["name"])' "$kube")
ctr="$pod-$(python3 -c 'import sys,yaml; print([d for d in yaml.safe_load_all(open(sys.argv[1])) if d["kind"] == "Pod"][0]["spec"]["containers"][0]["name"])' "$kube")"

kube_cleanup() {
	podman kube down "$kube" >/dev/null 2>&1
	podman secret rm api-tokens >/dev/null 2>&1
	ct_cleanup
}
trap kube_cleanup EXIT
podman kube down "$kube" >/dev/null 2>&1 # a pod left by an earlier, interrupted run
podman secret rm api-tokens >/dev/null 2>&1

has() { [ -s "$1" ]; }
if podman kube play "$kube" >"$CT_TMP/play.log" 2>&1; then
	ok 0 "podman kube play: pod $pod created"
else
	ok 1 "podman kube play"
	while IFS= read -r l; do diag "  $l"; done <"$CT_TMP/play.log"
	done_testing
	exit 1
fi
if wait_for 60 has "$R/probe-signal.ready"; then
	ok 0 "the pod's workload started and reported"
else
	ok 1 "the pod's workload started and reported"
	podman logs "$ctr" 2>&1 | while IFS= read -r l; do diag "  $l"; done
fi
is "$(podman pod inspect -f '{{.State}}' "$pod" 2>&1)" Running "podman pod inspect: $pod is Running"
F="$R/probe"
is "$(sed -n 's/^pid1=//p' "$F")" usher "PID 1 of the pod's container is usher"
is "$(sed -n 's/^env DB_HOST=//p' "$F")" db.internal "the workload sees DB_HOST from /vault/secrets/app.env (--wait-for, --env-file nomad:)"
is "$(sed -n 's/^env DB_PASSWORD=//p' "$F")" pw-123 "the workload sees DB_PASSWORD"
is "$(sed -n 's/^arg //p' "$F")" "--db=db.internal" "the workload's argument --db=\${DB_HOST} was expanded"
# The Secret volume: every key a variable (--env-dir), tls.crt included. Kubernetes writes
# the decoded value; podman 4.3 writes the base64 text as it is (podman#16625, fixed in 4.4).
# usher must load exactly what the volume holds.
token=$(sed -n 's/^env API_TOKEN=//p' "$F")
case "$token" in
tok-1) ok 0 "the workload sees API_TOKEN from the Secret volume (decoded, as Kubernetes does)" ;;
"$(printf tok-1 | base64)")
	ok 0 "the workload sees API_TOKEN from the Secret volume, as the volume holds it"
	diag "this podman writes Secret data undecoded (podman#16625, podman < 4.4): the file holds '$token'" ;;
*) ok 1 "the workload sees API_TOKEN from the Secret volume"; diag "got '$token'" ;;
esac
like "$(sed -n 's/^env tls.crt=//p' "$F")" "^(CERT|$(printf CERT | base64))$" "a Secret key with a dot (tls.crt) becomes a variable"

# --restart-on-change: the injector re-renders app.env (atomically, as Vault Agent does).
printf '%s\n' 'DB_HOST="db2.internal"' 'DB_PASSWORD="pw-456"' >"$vault/.app.env.tmp" && chmod 0600 "$vault/.app.env.tmp" &&
	mv "$vault/.app.env.tmp" "$vault/app.env"
if wait_for 60 grep -qx 'env DB_HOST=db2.internal' "$F"; then
	ok 0 "app.env re-rendered: usher restarted the workload with the new values (--restart-on-change)"
else
	ok 1 "app.env re-rendered: usher restarted the workload with the new values (--restart-on-change)"
	podman logs "$ctr" 2>&1 | tail -n 20 | while IFS= read -r l; do diag "  $l"; done
fi
is "$(sed -n 's/^env DB_PASSWORD=//p' "$F")" pw-456 "after the restart the workload sees the new DB_PASSWORD"
is "$(sed -n 's/^signal=\([0-9]*\) from=\(.*\)/\1 \2/p' "$R/probe-signal" 2>/dev/null)" "15 1" "the old workload got SIGTERM from usher before the restart"

like "$(pgrep -f '^/t/ct-probe /results serve' || true)" "^[0-9]+$" "while the pod runs, the host finds its workload by argv (the look used after the stop)"

# Stop: podman pod stop is the graceful path (SIGTERM, grace, SIGKILL): usher forwards it.
rm -f "$R/probe-signal"
wait_for 30 has "$R/probe-signal.ready"
podman pod stop "$pod" >/dev/null 2>"$CT_TMP/stop.err"
ok $? "podman pod stop $pod"
is "$(cat "$R/probe-signal" 2>/dev/null)" "signal=15 from=1" "the workload got SIGTERM from usher (PID 1)"
is "$(podman inspect -f '{{.State.ExitCode}}' "$ctr" 2>&1)" 115 "the container's exit code is the workload's (100+15)"
podman kube down "$kube" >"$CT_TMP/down.log" 2>&1
ok $? "podman kube down"
podman pod exists "$pod"
isnt $? 0 "the pod is gone"
is "$(podman ps -a --filter "name=^$ctr\$" -q)" "" "its container is gone"
is "$(pgrep -f '^/t/ct-probe /results serve' || true)" "" "no process of the pod is left on the host (by the workload's argv)"

# podman kube down alone, with the pod running: podman 4.3 SIGKILLs the containers without
# SIGTERM first (podman#22397, fixed in podman 5.1), so the workload gets no chance to stop;
# what is checked is that nothing is left. docs/containers.md says to pod stop first.
rm -f "$R/probe-signal" "$R/probe-signal.ready"
printf '%s\n' 'DB_HOST="db.internal"' 'DB_PASSWORD="pw-123"' >"$vault/app.env"
podman secret rm api-tokens >/dev/null 2>&1
if podman kube play "$kube" >/dev/null 2>&1 && wait_for 60 has "$R/probe-signal.ready"; then
	podman kube down "$kube" >/dev/null 2>&1
	ok $? "kube down of a running pod"
	podman pod exists "$pod"
	isnt $? 0 "kube down of a running pod: the pod is gone"
	if [ -s "$R/probe-signal" ]; then
		diag "kube down: the workload got $(cat "$R/probe-signal") (this podman stops pods gracefully)"
	else
		diag "kube down: the workload got no signal it could see (SIGKILL: podman#22397); use podman pod stop first"
	fi
else
	ok 1 "kube play (second run)"
fi

done_testing
