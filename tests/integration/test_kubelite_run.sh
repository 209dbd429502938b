#!/bin/sh
# kubelite run, get and delete, end to end: a cluster of 3 simulated nodes runs
# examples/manifests into a temporary data directory; kubelite get then
# prints kubectl's tables (exact headers, exact alignment, names with
# random suffixes checked by pattern), Lists, and reads while run holds
# the store.  Every process started here is stopped by its own pid.
set -eu
kubelite="$1"; src="$2"
tmp=$(mktemp -d)
runpid=""
cleanup() {
  [ -z "$runpid" ] || kill "$runpid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
d="$tmp/data"

# ---- run: apply, converge, stop after the duration ----
"$kubelite" run --data-dir "$d" --nodes 3 -f "$src/examples/manifests" --ready-delay 100 \
  --duration 3 >"$tmp/run.out" 2>"$tmp/run.err" || { cat "$tmp/run.out" "$tmp/run.err"; fail "run exit $?"; }
[ ! -s "$tmp/run.err" ] || { cat "$tmp/run.err"; fail "run wrote errors"; }
sed -n 2,12p "$tmp/run.out" >"$tmp/applied"
cat >"$tmp/want_applied" <<'X'
job.batch/migrate created
cronjob.batch/nightly-backup created
persistentvolumeclaim/shared-data created
service/db created
statefulset.apps/db created
daemonset.apps/node-agent created
resourcequota/compute created
configmap/web-config created
secret/db-credentials created
deployment.apps/web created
service/web created
X
diff -u "$tmp/want_applied" "$tmp/applied"
head -1 "$tmp/run.out" | grep -qx "kubelite: cluster up: 3 nodes, store $d/store.db" || fail "first line"
# plain log (not a terminal): the final state, then the stop line
grep -Eq '^\[ *[0-9.]+s\] deployment.apps/default/web: 3/3 ready, 3 up-to-date, 3 available$' \
  "$tmp/run.out" || { cat "$tmp/run.out"; fail "web never ready"; }
# every workload kind of examples/manifests has its controller now
for l in 'statefulset.apps/default/db: 3/3 ready' 'daemonset.apps/kube-system/node-agent: 3/3 ready' \
         'job.batch/default/migrate: 1/1 succeeded, 0 active, 0 failed' \
         'cronjob.batch/default/nightly-backup: schedule "30 2 \* \* 1-5", 0 active'; do
  grep -Eq "^\[ *[0-9.]+s\] $l\$" "$tmp/run.out" || { cat "$tmp/run.out"; fail "line: $l"; }
done
# 3 web + 3 db + 3 node-agent (one per node) + 1 migrate, which completes
grep -Eq '^\[ *[0-9.]+s\] pods: 10 \(9 running, 0 pending, 0 unschedulable, 1 succeeded, 0 failed\)$' "$tmp/run.out" \
  || { cat "$tmp/run.out"; fail "pods line"; }
tail -1 "$tmp/run.out" | grep -Eqx 'kubelite: stopped after 3\.[0-9]s' || fail "stop line"

# ---- get pods: kubectl's columns, aligned as its tabwriter aligns them ----
"$kubelite" get pods --data-dir "$d" >"$tmp/pods"
[ "$(wc -l <"$tmp/pods")" -eq 8 ] || { cat "$tmp/pods"; fail "want header + 7 pods"; }
head -1 "$tmp/pods" | grep -qx 'NAME                   READY   STATUS      RESTARTS   AGE' \
  || { head -1 "$tmp/pods" | cat -A; fail "pods header"; }
tail -n +2 "$tmp/pods" | grep -Ecx 'web-[a-z0-9]{6,10}-[a-z0-9]{5}   1/1     Running     0          [0-9]+s' \
  | grep -qx 3 || { cat "$tmp/pods"; fail "pod rows"; }
grep -Eqx 'migrate-[a-z0-9]{5}          0/1     Completed   0          [0-9]+s' "$tmp/pods" \
  || { cat "$tmp/pods"; fail "job pod row"; }
# the ReplicaSet's hash is the same in every pod name
[ "$(grep '^web-' "$tmp/pods" | sed 's/-[a-z0-9]*   .*//' | sort -u | wc -l)" -eq 1 ] || fail "hashes"
# the StatefulSet's pods by ordinal, the Job's with a random suffix
tail -n +2 "$tmp/pods" | awk '{print $1}' | grep -Ev '^web-' | sed 's/^migrate-[a-z0-9]\{5\}$/migrate-X/' \
  | tr '\n' ' ' | grep -qx 'db-0 db-1 db-2 migrate-X ' || { cat "$tmp/pods"; fail "db and migrate pods"; }

"$kubelite" get po --data-dir "$d" -o wide >"$tmp/wide"
head -1 "$tmp/wide" | grep -Eqx 'NAME +READY +STATUS +RESTARTS +AGE +IP +NODE +NOMINATED NODE +READINESS GATES' \
  || fail "wide header"
tail -n +2 "$tmp/wide" | grep -Ecx 'web-[a-z0-9]+-[a-z0-9]{5} +1/1 +Running +0 +[0-9]+s +10\.0\.[123]\.[0-9]+ +node-[123] +<none> +<none>' \
  | grep -qx 3 || { cat "$tmp/wide"; fail "wide rows"; }
# columns start where their headers start
awk 'NR==1 { ip = index($0, "IP"); node = index($0, "NODE") }
     NR>1 { if (substr($0, ip, 5) != "10.0." || substr($0, node, 5) != "node-") exit 1 }' "$tmp/wide" \
  || { cat "$tmp/wide"; fail "wide alignment"; }

# ---- deployments, replicasets, nodes, namespaces ----
"$kubelite" get deployments --data-dir "$d" >"$tmp/deploy"
head -1 "$tmp/deploy" | grep -qx 'NAME   READY   UP-TO-DATE   AVAILABLE   AGE' || fail "deploy header"
sed -n 2p "$tmp/deploy" | grep -Eqx 'web    3/3     3            3           [0-9]+s' \
  || { cat -A "$tmp/deploy"; fail "deploy row"; }
[ "$(wc -l <"$tmp/deploy")" -eq 2 ] || fail "one deployment"
"$kubelite" get deploy --data-dir "$d" -o wide | sed -n 2p \
  | grep -Eqx 'web +3/3 +3 +3 +[0-9]+s +nginx +nginx:1\.27 +app=web' || fail "deploy wide"

"$kubelite" get rs --data-dir "$d" >"$tmp/rs"
head -1 "$tmp/rs" | grep -Eqx 'NAME +DESIRED   CURRENT   READY   AGE' || fail "rs header"
sed -n 2p "$tmp/rs" | grep -Eqx 'web-[a-z0-9]{6,10}   3         3         3       [0-9]+s' \
  || { cat -A "$tmp/rs"; fail "rs row"; }

"$kubelite" get no --data-dir "$d" >"$tmp/nodes"
head -1 "$tmp/nodes" | grep -qx 'NAME     STATUS   ROLES    AGE   VERSION' || fail "nodes header"
tail -n +2 "$tmp/nodes" | grep -Ecx 'node-[123]   Ready    <none>   [0-9]+s +v[0-9.]+' | grep -qx 3 \
  || { cat "$tmp/nodes"; fail "nodes rows"; }
"$kubelite" get namespaces --data-dir "$d" | awk 'NR>1 {print $1, $2}' >"$tmp/ns"
printf 'default Active\nkube-node-lease Active\nkube-public Active\nkube-system Active\n' \
  | diff -u - "$tmp/ns"
"$kubelite" get leases -n kube-node-lease --data-dir "$d" | tail -n +2 | awk '{print $1}' \
  | tr '\n' ' ' | grep -qx 'node-1 node-2 node-3 ' || fail "leases"

# several kinds at once: one table each, rows named kind.group/name
"$kubelite" get deploy,rs --data-dir "$d" >"$tmp/multi"
sed -n 1,2p "$tmp/multi" | sed 's/[0-9]*s$/AGE/' >"$tmp/multi_head"
printf 'NAME                  READY   UP-TO-DATE   AVAILABLE   AGE\ndeployment.apps/web   3/3     3            3           AGE\n' \
  | diff -u - "$tmp/multi_head"
sed -n 3p "$tmp/multi" | grep -qx '' || fail "blank line between tables"
sed -n 5p "$tmp/multi" | grep -Eq '^replicaset\.apps/web-[a-z0-9]+   3 ' || { cat "$tmp/multi"; fail "rs of two kinds"; }

# ---- selectors, namespaces, Lists ----
"$kubelite" get pods -l app=nope --data-dir "$d" >"$tmp/none" 2>"$tmp/none.err"
[ ! -s "$tmp/none" ] || fail "rows for a selector that matches nothing"
grep -qx 'No resources found in default namespace.' "$tmp/none.err" || fail "no resources"
[ "$("$kubelite" get pods -l 'app in (web),tier=frontend' --data-dir "$d" | wc -l)" -eq 4 ] \
  || fail "selector"
# ---- the other controllers' work, in kubectl's columns ----
"$kubelite" get jobs --data-dir "$d" | grep -Eqx 'migrate   Complete   1/1           [0-9]+s +[0-9]+s' \
  || { "$kubelite" get jobs --data-dir "$d"; fail "job row"; }
"$kubelite" get endpoints --data-dir "$d" >"$tmp/ep"
head -1 "$tmp/ep" | grep -Eqx 'NAME +ENDPOINTS +AGE' || { cat "$tmp/ep"; fail "endpoints header"; }
grep -Eqx 'web +10\.0\.[123]\.[0-9]+:80,10\.0\.[123]\.[0-9]+:80,10\.0\.[123]\.[0-9]+:80 +[0-9]+s' "$tmp/ep" \
  || { cat "$tmp/ep"; fail "endpoints web"; }
grep -Eqx 'db +10\.0\.[123]\.[0-9]+:5432,10\.0\.[123]\.[0-9]+:5432,10\.0\.[123]\.[0-9]+:5432 +[0-9]+s' "$tmp/ep" \
  || { cat "$tmp/ep"; fail "endpoints db"; }
# the Job's pod has completed: it no longer counts against the quota
"$kubelite" get quota --data-dir "$d" | tail -1 | grep -Eqx 'compute +[0-9]+s +count/deployments.apps: 1/5, pods: 6/30, requests.cpu: 1050m/8, requests.memory: 1728Mi/16Gi +' \
  || { "$kubelite" get quota --data-dir "$d"; fail "quota row"; }
[ "$("$kubelite" get leases -n kube-node-lease --data-dir "$d" | grep -Ec '^node-[123] +node-[123] +[0-9]+s$')" -eq 3 ] \
  || { "$kubelite" get leases -n kube-node-lease --data-dir "$d"; fail "leases"; }
"$kubelite" get pods -A --data-dir "$d" | head -1 | grep -Eq '^NAMESPACE +NAME ' || fail "-A"
"$kubelite" get pods -l app=web --data-dir "$d" -o json >"$tmp/list.json"
python3 - "$tmp/list.json" <<'X'
import json, sys
l = json.load(open(sys.argv[1]))
assert list(l) == ["apiVersion", "items", "kind", "metadata"], list(l)
assert l["apiVersion"] == "v1" and l["kind"] == "List", l["kind"]
assert l["metadata"] == {"resourceVersion": ""}, l["metadata"]
assert len(l["items"]) == 3
for p in l["items"]:
    assert p["kind"] == "Pod" and p["status"]["phase"] == "Running"
    assert [c["type"] for c in p["status"]["conditions"]] == ["PodReadyToStartContainers",
        "Initialized", "Ready", "ContainersReady", "PodScheduled"]
    assert p["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
X
"$kubelite" get deployments --data-dir "$d" -o yaml >"$tmp/list.yaml"
head -2 "$tmp/list.yaml" | tr '\n' ' ' | grep -qx 'apiVersion: v1 items: ' || fail "yaml list"
grep -qx 'kind: List' "$tmp/list.yaml" || fail "yaml kind"

# ---- get while run holds the store: over the run's socket ----
"$kubelite" run --data-dir "$d" --nodes 3 -f "$src/examples/manifests/web-deployment.yaml" \
  --ready-delay 100 --duration 20 >"$tmp/run2.out" 2>&1 &
runpid=$!
# the run has the store once it has re-applied the manifest; until then a
# get would read the first run's pods straight from the directory
for i in $(seq 1 200); do
  grep -qx 'deployment.apps/web unchanged' "$tmp/run2.out" && break
  sleep 0.05
done
ok=0
for i in $(seq 1 100); do
  if "$kubelite" get pods --data-dir "$d" >"$tmp/live" 2>/dev/null &&
     [ "$(grep -c '^web-.* Running ' "$tmp/live")" -eq 3 ]; then ok=1; break; fi
  sleep 0.1
done
[ "$ok" -eq 1 ] || { cat "$tmp/live" "$tmp/run2.out"; fail "get while running"; }
grep -qx 'deployment.apps/web unchanged' "$tmp/run2.out" || { cat "$tmp/run2.out"; fail "reapply"; }

# ---- delete through the running cluster: the collector and the namespace
# controller finish the job before delete returns (kubectl's --wait) ----
"$kubelite" delete deploy web --data-dir "$d" --cascade=foreground >"$tmp/del" 2>&1 \
  || { cat "$tmp/del"; fail "delete deployment"; }
echo 'deployment.apps "web" deleted' | diff -u - "$tmp/del"
for r in deployments replicasets "pods -l app=web"; do
  "$kubelite" get $r --data-dir "$d" >"$tmp/after" 2>&1
  grep -qx 'No resources found in default namespace.' "$tmp/after" || { cat "$tmp/after"; fail "$r left"; }
done
"$kubelite" delete namespace kube-system --data-dir "$d" >"$tmp/del" 2>&1 || fail "delete ns"
echo 'namespace "kube-system" deleted' | diff -u - "$tmp/del"
"$kubelite" get daemonsets -n kube-system --data-dir "$d" 2>&1 \
  | grep -qx 'No resources found in kube-system namespace.' || fail "daemonset left"
"$kubelite" get ns --data-dir "$d" | awk 'NR>1 {print $1}' | tr '\n' ' ' \
  | grep -qx 'default kube-node-lease kube-public ' || fail "namespaces after delete"
set +e
"$kubelite" delete pod nope --data-dir "$d" >/dev/null 2>"$tmp/e"; rc=$?
set -e
[ "$rc" -eq 1 ] || fail "delete missing: exit $rc"
grep -qx 'Error from server (NotFound): pods "nope" not found' "$tmp/e" || { cat "$tmp/e"; fail "NotFound"; }
kill -INT "$runpid"
wait "$runpid" || fail "run after SIGINT exit $?"
runpid=""
tail -1 "$tmp/run2.out" | grep -Eqx 'kubelite: stopped after [0-9.]+s \(signal\)' || fail "signal stop"
[ ! -e "$d/kubelite.sock" ] || fail "socket left behind"

# ---- delete with nothing running: the next run's collector finishes ----
"$kubelite" delete configmap web-config --data-dir "$d" | grep -qx 'configmap "web-config" deleted'
"$kubelite" get cm --data-dir "$d" 2>&1 | grep -qx 'No resources found in default namespace.' \
  || fail "configmap left"

# ---- usage errors ----
set +e
"$kubelite" run --nodes 3 >/dev/null 2>&1; [ $? -eq 2 ] || fail "run without --data-dir"
"$kubelite" run --data-dir "$d" --nodes zero >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad --nodes"
"$kubelite" get frobs --data-dir "$d" >/dev/null 2>"$tmp/e"; [ $? -eq 1 ] || fail "unknown kind"
grep -qx 'error: the server doesn'"'"'t have a resource type "frobs"' "$tmp/e" || fail "kind message"
"$kubelite" get pods --data-dir "$tmp/nothing" >/dev/null 2>&1; [ $? -eq 1 ] || fail "no store"
"$kubelite" get pods --data-dir "$d" -o xml >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad -o"
"$kubelite" delete deploy web --data-dir "$d" --cascade=sideways >/dev/null 2>&1; [ $? -eq 2 ] \
  || fail "bad --cascade"
set -e
echo "kubelite run/get/delete ok"
