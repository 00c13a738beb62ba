#!/usr/bin/python3
"""Runs the composite Action of action.yml on this machine as a runner would,
for tests/integration/action.sh and ci_examples.py.

The YAML is parsed (Debian's python3-yaml); inputs get their defaults; every
step's `if:` and `${{ ... }}` expressions (inputs, steps.ID.outputs, the github
context given, always()) are evaluated; `run:` steps run with
`bash --noprofile --norc -eo pipefail`, each with its own GITHUB_OUTPUT, with
what earlier steps wrote to GITHUB_PATH and GITHUB_ENV, and GITHUB_ACTION_PATH
at the repository; a failed step skips the later steps
whose `if:` does not say always(). `uses:` steps are not run (no network):
they are recorded, with their `with:` evaluated, for the caller to check.

usage: action_run.py WITH_JSON [GITHUB_JSON]
  WITH_JSON    the step's `with:` as a JSON object
  GITHUB_JSON  the github context's values by name ("event.pull_request.number": 7)
Runs in the current directory, with the runner's files from the environment
(GITHUB_STEP_SUMMARY, RUNNER_TEMP ...). Prints the steps, "uses: NAME WITH_JSON"
per `uses:` step and "outputs: JSON"; the exit status is the Action's (0 or 1).
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load():
    with open(os.path.join(ROOT, "action.yml")) as f:
        return yaml.safe_load(f)


class Ctx:
    def __init__(self, action, with_, github):
        self.inputs = {}
        for name, spec in action.get("inputs", {}).items():
            self.inputs[name] = str((spec or {}).get("default", ""))
        for name, value in with_.items():
            if name not in self.inputs:
                raise KeyError("input %r is not in action.yml" % name)
            self.inputs[name] = str(value)
        missing = [n for n, s in action.get("inputs", {}).items()
                   if (s or {}).get("required") and n not in with_]
        if missing:
            raise KeyError("required inputs missing: %s" % ", ".join(missing))
        self.github = dict(github)
        self.github.setdefault("token", "test-token")
        self.steps = {}
        # A default may itself be an expression (token: ${{ github.token }}).
        for n in self.inputs:
            self.inputs[n] = self.sub(self.inputs[n])

    def value(self, e):
        e = e.strip()
        py = re.sub(r"'([^']*)'", lambda m: repr(m.group(1)), e)
        py = re.sub(r"\bsteps\.([\w-]+)\.outputs\.([\w-]+)", r'S("\1","\2")', py)
        py = re.sub(r"\binputs\.([\w-]+)", r'I("\1")', py)
        py = re.sub(r"\bgithub\.([\w.-]+)", r'G("\1")', py)
        py = py.replace("always()", "True").replace("&&", " and ").replace("||", " or ")
        py = re.sub(r"!(?!=)", " not ", py)
        return eval(py, {"__builtins__": {}}, {
            "S": lambda s, o: self.steps.get(s, {}).get(o, ""),
            "I": lambda n: self.inputs[n],
            "G": lambda n: str(self.github.get(n, "")),
            "True": True})

    def sub(self, s):
        return re.sub(r"\$\{\{([^}]*)\}\}", lambda m: str(self.value(m.group(1))), str(s))


def run(with_, github, out=sys.stdout, env=None, cwd=None):
    action = load()
    assert action["runs"]["using"] == "composite"
    ctx = Ctx(action, with_, github)
    failed = False
    # What steps add for the later ones: GITHUB_PATH (one directory a line,
    # prepended to PATH) and GITHUB_ENV (NAME=VALUE lines).
    job_env = dict(os.environ if env is None else env)
    fd, gh_path = tempfile.mkstemp(prefix="github_path.", dir=job_env.get("RUNNER_TEMP"))
    os.close(fd)
    fd, gh_env = tempfile.mkstemp(prefix="github_env.", dir=job_env.get("RUNNER_TEMP"))
    os.close(fd)
    for st in action["runs"]["steps"]:
        name = st.get("id", st.get("name", st.get("uses", "?")))
        cond = str(st.get("if", "")).strip()
        if cond.startswith("${{"):
            cond = cond[3:-2]
        if failed and "always()" not in cond:
            print("# step %s: skipped (an earlier step failed)" % name, file=out)
            continue
        if cond and not ctx.value(cond):
            print("# step %s: skipped (if: %s)" % (name, cond), file=out)
            continue
        if "uses" in st:
            w = {k: ctx.sub(v) for k, v in (st.get("with") or {}).items()}
            print("uses: %s %s" % (st["uses"], json.dumps(w, sort_keys=True)), file=out)
            continue
        senv = dict(job_env)
        with open(gh_path) as f:
            dirs = [line.strip() for line in f if line.strip()]
        if dirs:
            senv["PATH"] = ":".join(reversed(dirs)) + ":" + senv.get("PATH", "")
        with open(gh_env) as f:
            senv.update(dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line))
        senv.update({k: ctx.sub(v) for k, v in (st.get("env") or {}).items()})
        senv["GITHUB_PATH"] = gh_path
        senv["GITHUB_ENV"] = gh_env
        fd, gh_out = tempfile.mkstemp(prefix="github_output.", dir=senv.get("RUNNER_TEMP"))
        os.close(fd)
        senv["GITHUB_OUTPUT"] = gh_out
        senv["GITHUB_ACTION_PATH"] = ROOT
        p = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", ctx.sub(st["run"])],
                           env=senv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in p.stdout.splitlines():
            print("#   " + line, file=out)
        outputs = {}
        with open(gh_out) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    outputs[k] = v
        os.unlink(gh_out)
        ctx.steps[name] = outputs
        print("# step %s: exit %d" % (name, p.returncode), file=out)
        if p.returncode != 0:
            failed = True
    os.unlink(gh_path)
    os.unlink(gh_env)
    outs = {k: ctx.sub(v["value"]) for k, v in action.get("outputs", {}).items()}
    print("outputs: " + json.dumps(outs, sort_keys=True), file=out, flush=True)
    return (1 if failed else 0), outs


def main():
    with_ = json.loads(sys.argv[1])
    github = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    rc, _ = run(with_, github)
    sys.exit(rc)


if __name__ == "__main__":
    main()
