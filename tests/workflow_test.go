package tests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// The shipped GitHub Actions workflow cannot run here; these checks read it as data, and the
// Makefile's tier lists from make itself, so that a workflow and a Makefile that drift apart fail.

// workflowFile is the shipped workflow, relative to the repository root.
const workflowFile = ".github/workflows/pulumi.yml"

// workflowRunner is the runner image every job names: Ubuntu 24.04, whose AppArmor restriction of
// unprivileged user namespaces the demo job lifts.
const workflowRunner = "ubuntu-24.04"

// slowTiers are the tiers a pull request's preview does not wait for: cold, each builds tens of
// minutes of its own binaries (the Pulumi CLI and the Kubernetes provider; KEDA, kwok and
// Karpenter), BENCHMARKS.md.
var slowTiers = []string{"test-engine", "test-demo"}

// tierGroups are the make targets that run several tiers, and the Makefile variable that lists
// them.
var tierGroups = map[string]string{"test": "TEST_TIERS", "test-fast": "TEST_FAST_TIERS"}

// liftUserns is the step that lets the runner user create the demo tier's network namespace:
// Ubuntu 24.04 sets kernel.apparmor_restrict_unprivileged_userns=1.
var liftUserns = regexp.MustCompile(`\bsudo sysctl (-w )?kernel\.apparmor_restrict_unprivileged_userns=0\b`)

// workflow is what the checks read of the workflow: each job's runner, needs and steps.
type workflow struct {
	Jobs map[string]struct {
		RunsOn any          `json:"runs-on"`
		Needs  stringOrList `json:"needs"`
		Steps  []struct {
			Uses string         `json:"uses"`
			Run  string         `json:"run"`
			With map[string]any `json:"with"`
		} `json:"steps"`
	} `json:"jobs"`
}

// stringOrList is a workflow field that is one string or a list of them (needs).
type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

func readWorkflow(t *testing.T, repo string) workflow {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repo, workflowFile))
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(data, &w); err != nil {
		t.Fatalf("%s: %v", workflowFile, err)
	}
	if len(w.Jobs) == 0 {
		t.Fatalf("%s has no jobs", workflowFile)
	}
	return w
}

// makeVar is a variable of the repository's Makefile as make expands it.
func makeVar(t *testing.T, makeBin, repo, name string) []string {
	t.Helper()
	cmd := topLevelMake(makeBin, "-s", "--no-print-directory", "-C", repo,
		"--eval", "print-var-for-test: ; @echo $("+name+")", "print-var-for-test")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("make: reading %s: %v", name, err)
	}
	v := strings.Fields(string(out))
	if len(v) == 0 {
		t.Fatalf("the Makefile's %s is empty", name)
	}
	return v
}

// makeTargets are the targets of every `make` command in a run: script (options and VAR=value
// assignments left out).
func makeTargets(script string) []string {
	var targets []string
	for _, line := range strings.Split(script, "\n") {
		words := strings.Fields(line)
		for i := 0; i < len(words); i++ {
			if words[i] != "make" {
				continue
			}
			for i++; i < len(words); i++ {
				w := words[i]
				if w == "&&" || w == "||" || w == ";" || w == "|" {
					break
				}
				if strings.HasPrefix(w, "-") || strings.Contains(w, "=") {
					continue
				}
				targets = append(targets, strings.TrimRight(w, ";"))
			}
		}
	}
	return targets
}

// stepTiers are the tiers a run: script runs, groups (make test, make test-fast) expanded.
func stepTiers(run string, tiers []string, groups map[string][]string) []string {
	var out []string
	for _, target := range makeTargets(run) {
		if g, ok := groups[target]; ok {
			out = append(out, g...)
		} else if slices.Contains(tiers, target) {
			out = append(out, target)
		}
	}
	return out
}

// TestWorkflowRunsEachTierOncePreviewWaitsForFastTiers checks the workflow's jobs against the
// Makefile: every tier of TEST_TIERS runs in exactly one job; a pull request's preview waits
// (needs) for the jobs that run lint and every fast tier, and for no job that runs the engine or
// demo tier; the push to main deploys only after every tier; every job runs on ubuntu-24.04; the
// job that runs the demo tier lifts the AppArmor restriction of unprivileged user namespaces in a
// step before that one; and no two test jobs share a cache key (a key is saved once, by whichever
// job ends first, so a shared key would leave the others' caches unsaved).
func TestWorkflowRunsEachTierOncePreviewWaitsForFastTiers(t *testing.T) {
	t.Parallel()
	makeBin, repo := makeInRepo(t)
	w := readWorkflow(t, repo)
	tiers := makeVar(t, makeBin, repo, "TEST_TIERS")
	groups := map[string][]string{}
	for target, name := range tierGroups {
		groups[target] = makeVar(t, makeBin, repo, name)
	}
	for _, slow := range slowTiers {
		if !slices.Contains(tiers, slow) {
			t.Errorf("TEST_TIERS %v lacks %s", tiers, slow)
		}
		if slices.Contains(groups["test-fast"], slow) {
			t.Errorf("TEST_FAST_TIERS %v holds %s, which the preview is not to wait for", groups["test-fast"], slow)
		}
	}

	jobTiers := map[string][]string{} // job → the tiers it runs
	jobLints := map[string]bool{}
	ran := map[string][]string{} // tier → the jobs that run it
	for name, job := range w.Jobs {
		if job.RunsOn != workflowRunner {
			t.Errorf("job %s: runs-on %v, want %s", name, job.RunsOn, workflowRunner)
		}
		for _, step := range job.Steps {
			for _, tier := range stepTiers(step.Run, tiers, groups) {
				jobTiers[name] = append(jobTiers[name], tier)
				ran[tier] = append(ran[tier], name)
			}
			jobLints[name] = jobLints[name] || slices.Contains(makeTargets(step.Run), "lint")
		}
	}
	var fast []string
	for _, tier := range tiers {
		if len(ran[tier]) != 1 {
			t.Errorf("tier %s runs in %d jobs %v, want exactly one", tier, len(ran[tier]), ran[tier])
		}
		if !slices.Contains(slowTiers, tier) {
			fast = append(fast, tier)
		}
	}

	preview, ok := w.Jobs["preview"]
	if !ok {
		t.Fatalf("%s has no preview job", workflowFile)
	}
	waited := map[string]bool{}
	lintWaited := false
	for _, need := range preview.Needs {
		if _, ok := w.Jobs[need]; !ok {
			t.Errorf("preview needs %s, which is no job", need)
		}
		for _, tier := range jobTiers[need] {
			if slices.Contains(slowTiers, tier) {
				t.Errorf("preview needs %s, which runs %s: the preview is to wait only for the fast tiers", need, tier)
			}
			waited[tier] = true
		}
		lintWaited = lintWaited || jobLints[need]
	}
	for _, tier := range fast {
		if !waited[tier] {
			t.Errorf("preview (needs %v) does not wait for the fast tier %s", preview.Needs, tier)
		}
	}
	if !lintWaited {
		t.Errorf("preview (needs %v) does not wait for make lint", preview.Needs)
	}

	if deploy, ok := w.Jobs["deploy-dev"]; !ok {
		t.Errorf("%s has no deploy-dev job", workflowFile)
	} else {
		for job := range jobTiers {
			if !slices.Contains(deploy.Needs, job) {
				t.Errorf("deploy-dev (needs %v) does not wait for %s, which runs %v", deploy.Needs, job, jobTiers[job])
			}
		}
	}

	for _, job := range ran["test-demo"] {
		lifted := false
		for _, step := range w.Jobs[job].Steps {
			if slices.Contains(stepTiers(step.Run, tiers, groups), "test-demo") {
				if !lifted {
					t.Errorf("job %s runs the demo tier (%q) without a step before it that runs `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`: on %s the runner user cannot create the tier's network namespace", job, step.Run, workflowRunner)
				}
				break
			}
			lifted = lifted || liftUserns.MatchString(step.Run)
		}
	}

	keys := map[string]string{} // cache key → job
	for job := range jobTiers {
		for _, step := range w.Jobs[job].Steps {
			action, _, _ := strings.Cut(step.Uses, "@")
			switch action {
			case "actions/setup-go":
				// setup-go's own cache key names the runner, Go and the go.sum files, not the
				// job (actions/setup-go src/cache-restore.ts).
				if len(jobTiers) > 1 && step.With["cache"] != false {
					t.Errorf("job %s: actions/setup-go with its own cache, whose key every test job would share; want cache: false and an actions/cache step keyed on the job", job)
				}
			case "actions/cache":
				key, _ := step.With["key"].(string)
				key = strings.Join(strings.Fields(key), " ")
				if strings.Contains(key, "github.job") {
					key = job + ": " + key
				}
				if other, ok := keys[key]; ok && other != job {
					t.Errorf("jobs %s and %s both cache under %q: only the first to end would save it", other, job, key)
				}
				keys[key] = job
			}
		}
	}
}
