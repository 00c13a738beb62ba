#!/usr/bin/python3
"""Emulates the CI examples (examples/github/lockmatrix-nightly.yml,
examples/gitlab/.gitlab-ci.yml) on this machine for tests/integration/ci_examples.sh.

The YAML is parsed (Debian's python3-yaml); every shell command the files run
is taken from them and run as the CI engine would run it: GitHub's `run:`
with `bash --noprofile --norc -eo pipefail`, one process per step, `${{ ... }}`
expressions of matrix, env and github replaced; GitLab's `script:` lines in one
`bash -e` per job, with CI_NODE_INDEX/CI_NODE_TOTAL for `parallel:`. Each job
runs in its own directory (a "machine") holding a checkout: ./lockmatrix and
the corpus. Artifacts are copied between jobs the way upload-artifact /
download-artifact and GitLab's artifacts:paths + needs move them. `gh` and
`curl`, which reach the CI's API for the previous night's store, are small
stand-ins on PATH serving the previous night's artifact from a local
directory.

The GitHub example's `uses: ./`, the lockmatrix Action, runs as a runner runs
it (action_run.py: action.yml's steps, expressions evaluated).

Not run: the steps that install and build (the Action's, with its input
`install: false`; the `.build` anchor on GitLab): the test provides the
binary, ./lockmatrix and lockmatrix on PATH. Reduced for time: the versions
(the Action's input `versions` and GitLab's VERSIONS variable: TEST_VERSIONS).

usage: LM_TEST_TOOLS=DIR ci_examples.py github|gitlab NIGHT_DIR PREV_ARTIFACTS_DIR|- CHECKOUT_DIR
Prints "ok - ..." / "not ok - ..." lines; exit status 0, or the night's
failure: 1 when the job that compares failed.
"""
import glob
import os
import re
import shutil
import subprocess
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import action_run  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def say(ok, what):
    print(("ok - " if ok else "not ok - ") + what, flush=True)


def machine(night, name, checkout):
    d = os.path.join(night, "machines", name)
    shutil.copytree(checkout, d, symlinks=True)
    return d


def expr(s, ctx):
    def sub(m):
        key = m.group(1).strip()
        if key in ctx:
            return str(ctx[key])
        raise KeyError("unknown expression ${{ %s }} in %r" % (key, s))
    return re.sub(r"\$\{\{([^}]*)\}\}", sub, s)


def run_bash(cmd, cwd, env, flags):
    p = subprocess.run(["bash", "--noprofile", "--norc"] + flags + ["-c", cmd], cwd=cwd, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in p.stdout.splitlines():
        print("#   " + line)
    return p.returncode


def base_env(tools):
    env = dict(os.environ)
    env["PATH"] = tools + ":" + env["PATH"]
    return env


# ---- GitHub Actions --------------------------------------------------------------


def github(night, prev, checkout, tools):
    wf = yaml.safe_load(open(os.path.join(ROOT, "examples/github/lockmatrix-nightly.yml")))
    on = wf.get("on", wf.get(True))  # YAML 1.1 reads the key `on` as true
    say(bool(on and on.get("schedule")), "github: runs on a schedule (nightly)")
    jobs = wf["jobs"]
    say(set(jobs) == {"nightly", "publish"}, "github: jobs nightly, publish")
    say(jobs["publish"].get("needs") == "nightly", "github: publish needs nightly")
    steps = jobs["nightly"]["steps"]
    act = [st for st in steps if st.get("uses") == "./"]
    say(len(act) == 1, "github: the nightly job uses the Action (action.yml)")
    say(not any(re.search(r"\bmake\b", str(st.get("run", ""))) for st in steps),
        "github: nothing is built from source in the workflow")
    w = act[0].get("with", {}) if act else {}
    say("versions" not in w, "github: every version lockmatrix runs by default")
    say(bool(w.get("against")), "github: the Action compares with the previous store")
    uploads = [st for st in steps if str(st.get("uses", "")).startswith("actions/upload-artifact")]
    say(any(u["with"]["path"] == w.get("store") and "always()" in str(u.get("if", "")) for u in uploads),
        "github: the Action's store is uploaded whatever the result")
    wenv = {k: str(v) for k, v in wf.get("env", {}).items()}
    arts = os.path.join(night, "artifacts")
    os.makedirs(arts, exist_ok=True)
    summary = os.path.join(night, "step_summary.md")
    results = {}

    def run_job(name, job, label):
        d = machine(night, label, checkout)
        env = base_env(tools)
        env.update(wenv)
        env.update({k: str(v) for k, v in job.get("env", {}).items()
                    if "${{" not in str(v)})
        runner_temp = os.path.join(night, "runner_temp", label)
        os.makedirs(runner_temp, exist_ok=True)
        env.update({"GITHUB_REPOSITORY": "example/repo", "GITHUB_WORKFLOW": wf["name"],
                    "GITHUB_REF_NAME": "main", "GITHUB_STEP_SUMMARY": summary,
                    "GITHUB_EVENT_NAME": "schedule", "RUNNER_TEMP": runner_temp,
                    "GH_TOKEN": "test-token", "LM_TEST_PREV": prev})
        ctx = {"github.token": "test-token"}
        ctx.update({"env." + k: v for k, v in wenv.items()})
        failed = False
        for st in job["steps"]:
            cond = str(st.get("if", ""))
            if failed and "always()" not in cond:
                continue
            sid = st.get("id", st.get("name"))
            if "run" in st:
                cmd = expr(st["run"], ctx)
                rc = run_bash(cmd, d, env, ["-eo", "pipefail"])
                print("# %s: step %s: exit %d" % (label, sid, rc))
                if rc != 0:
                    failed = True
                    results.setdefault(label, []).append(sid)
                continue
            uses = st.get("uses", "")
            w = {k: expr(str(v), ctx) for k, v in st.get("with", {}).items()}
            if uses == "./":
                # The Action as a runner runs it; lockmatrix is on PATH (tools).
                w.update({"install": "false", "versions": os.environ.get("TEST_VERSIONS", "10,17")})
                rc, _ = action_run.run(w, {"event_name": "schedule", "token": "test-token"},
                                       out=sys.stdout, env=env, cwd=d)
                print("# %s: step %s: exit %d" % (label, sid, rc))
                if rc != 0:
                    failed = True
                    results.setdefault(label, []).append(sid)
            elif uses.startswith("actions/upload-artifact"):
                dst = os.path.join(arts, w["name"])
                os.makedirs(dst, exist_ok=True)
                for f in glob.glob(os.path.join(d, w["path"])):
                    shutil.copy(f, dst)
            elif uses.startswith("actions/upload-pages-artifact"):
                dst = os.path.join(arts, "github-pages")
                shutil.copytree(os.path.join(d, w["path"]), dst, dirs_exist_ok=True)
        return not failed

    ok = run_job("nightly", jobs["nightly"], "nightly")
    page = os.path.join(arts, "github-pages", "index.html")
    say(os.path.getsize(page) > 1000 if os.path.exists(page) else False,
        "github: the HTML report is published")
    say(os.path.exists(os.path.join(arts, "nightly-store", "nightly.db")),
        "github: the nightly store is uploaded (whatever the result)")
    return ok, results


# ---- GitLab CI -----------------------------------------------------------------------


def gitlab(night, prev, checkout, tools):
    ci = yaml.safe_load(open(os.path.join(ROOT, "examples/gitlab/.gitlab-ci.yml")))
    say(ci["stages"] == ["trace", "merge", "publish"], "gitlab: stages trace, merge, publish")
    trace, merge, pages = ci["trace"], ci["merge"], ci["pages"]
    n = trace.get("parallel")
    say(isinstance(n, int) and n >= 2, "gitlab: trace runs as parallel: %s" % n)
    say([x["job"] for x in merge["needs"]] == ["trace"], "gitlab: merge needs trace")
    say("public" in pages["artifacts"]["paths"], "gitlab: pages publishes public/")
    variables = {k: str(v) for k, v in ci.get("variables", {}).items()}
    variables["VERSIONS"] = os.environ.get("TEST_VERSIONS", "10,17")
    arts = os.path.join(night, "artifacts")
    os.makedirs(arts, exist_ok=True)

    def run_job(job, extra, label, inputs):
        d = machine(night, label, checkout)
        for a in inputs:
            shutil.copytree(os.path.join(arts, a), d, dirs_exist_ok=True)
        env = base_env(tools)
        env.update(variables)
        env.update({"CI_JOB_TOKEN": "test-token", "CI_API_V4_URL": "https://gitlab.example/api/v4",
                    "CI_PROJECT_ID": "1", "CI_COMMIT_REF_NAME": "main", "LM_TEST_PREV": prev})
        env.update(extra)
        script = "\n".join(job["script"])
        rc = run_bash(script, d, env, ["-e"])
        print("# %s: exit %d" % (label, rc))
        out = os.path.join(arts, label)
        os.makedirs(out, exist_ok=True)
        for pat in job.get("artifacts", {}).get("paths", []):
            for f in glob.glob(os.path.join(d, pat.rstrip("/"))):
                if os.path.isdir(f):
                    shutil.copytree(f, os.path.join(out, os.path.basename(f)), dirs_exist_ok=True)
                else:
                    shutil.copy(f, out)
        return rc == 0

    ok = True
    for i in range(1, n + 1):
        ok &= run_job(trace, {"CI_NODE_INDEX": str(i), "CI_NODE_TOTAL": str(n)},
                      "trace-%d" % i, [])
    say(ok, "gitlab: every parallel trace job passed (%d)" % n)
    ok_merge = run_job(merge, {}, "merge", ["trace-%d" % i for i in range(1, n + 1)])
    ok_pages = run_job(pages, {}, "pages", ["merge"])
    say(ok_pages, "gitlab: pages finds the HTML report")
    return ok_merge, {}


def main():
    kind, night, prev, checkout = sys.argv[1:5]
    tools = os.environ["LM_TEST_TOOLS"]
    ok, _ = (github if kind == "github" else gitlab)(night, prev, checkout, tools)
    sys.exit(0 if ok else 1)


main()
