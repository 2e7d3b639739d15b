package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/stacks"
)

// quickStart returns the README's "Quick start" section.
func quickStart(t *testing.T, readme string) string {
	t.Helper()
	_, section, ok := strings.Cut(readme, "\n## Quick start\n")
	require.True(t, ok, "README has no Quick start section")
	section, _, _ = strings.Cut(section, "\n## ")
	return section
}

// quickStartCommands returns every command of a quick start: each line of its sh blocks
// (comments dropped) and each inline code span that starts with make or pulumi.
func quickStartCommands(section string) []string {
	var cmds []string
	inBlock := false
	for _, line := range strings.Split(section, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "```"):
			inBlock = !inBlock && trimmed == "```sh"
			continue
		case inBlock:
			if i := strings.Index(trimmed, " #"); i >= 0 {
				trimmed = strings.TrimSpace(trimmed[:i])
			}
			if trimmed != "" {
				cmds = append(cmds, trimmed)
			}
			continue
		}
		for _, m := range regexp.MustCompile("`((?:make|pulumi) [^`]+)`").FindAllStringSubmatch(line, -1) {
			cmds = append(cmds, m[1])
		}
	}
	return cmds
}

// configSet applies `pulumi config set [--path] KEY VALUE` to a raw config map as the Pulumi
// CLI stores it in Pulumi.<stack>.yaml: a --path key names a section and a path inside it.
func configSet(raw map[string]string, args []string) error {
	path := false
	var rest []string
	for _, a := range args {
		if a == "--path" {
			path = true
			continue
		}
		rest = append(rest, strings.Trim(a, "'\""))
	}
	if len(rest) != 2 {
		return fmt.Errorf("pulumi config set wants a key and a value, got %q", strings.Join(args, " "))
	}
	key, value := rest[0], rest[1]
	if !path {
		raw[key] = value
		return nil
	}
	cut := strings.IndexAny(key, ".[")
	if cut < 0 {
		return fmt.Errorf("pulumi config set --path %s: no path after the key", key)
	}
	section, inner := key[:cut], key[cut:]
	var root any
	if text, ok := raw[section]; ok {
		if err := json.Unmarshal([]byte(text), &root); err != nil {
			return err
		}
	}
	root = setPath(root, regexp.MustCompile(`[^.\[\]]+`).FindAllString(inner, -1), value)
	b, err := json.Marshal(root)
	if err != nil {
		return err
	}
	raw[section] = string(b)
	return nil
}

// setPath sets value at path ("cluster", "0", ...) inside v, creating objects and lists.
func setPath(v any, path []string, value string) any {
	if len(path) == 0 {
		return value
	}
	if i, err := strconv.Atoi(path[0]); err == nil {
		list, _ := v.([]any)
		for len(list) <= i {
			list = append(list, nil)
		}
		list[i] = setPath(list[i], path[1:], value)
		return list
	}
	obj, _ := v.(map[string]any)
	if obj == nil {
		obj = map[string]any{}
	}
	obj[path[0]] = setPath(obj[path[0]], path[1:], value)
	return obj
}

// makeFiles returns the Makefile and the fragments it includes.
func makeFiles(t *testing.T) []string {
	t.Helper()
	fragments, err := filepath.Glob(projectDir + "/make/*.mk")
	require.NoError(t, err)
	require.NotEmpty(t, fragments)
	return append([]string{projectDir + "/Makefile"}, fragments...)
}

// deployTargets returns the targets `make help` lists under "Deploy".
func deployTargets(t *testing.T) map[string]string {
	t.Helper()
	out, err := topLevelMake("make", "-s", "-C", projectDir, "help").CombinedOutput()
	require.NoError(t, err, "make help: %s", out)
	deploy, _, ok := strings.Cut(string(out), "\nDevelop:\n")
	require.True(t, ok, "make help has no Develop group:\n%s", out)
	targets := map[string]string{}
	for _, line := range strings.Split(deploy, "\n")[1:] {
		if f := strings.Fields(line); len(f) > 0 {
			targets[f[0]] = strings.Join(f[1:], " ")
		}
	}
	return targets
}

// TestQuickStartCommands checks every command of the README's quick start against what it
// names: make targets are deploy targets of `make help` and the variables they get are read by
// the Makefile; `pulumi config set` lines, applied to the dev stack's file, give a config the
// program accepts (it runs on the mocks with them); every `pulumi stack output` is an output of
// that run, every `jq` key a key of its map, every `kubectl -n` namespace a workload's; the tag
// pushed is the tag configured. A command of any other kind fails the test until it gets a check.
func TestQuickStartCommands(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(projectDir + "/README.md")
	require.NoError(t, err)
	cmds := quickStartCommands(quickStart(t, string(readme)))
	require.NotEmpty(t, cmds, "the quick start has no commands")
	var makeText string
	for _, file := range makeFiles(t) {
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		makeText += string(b)
	}
	targets := deployTargets(t)

	raw, err := stacks.ReadStackFile(projectDir + "/Pulumi.dev.yaml")
	require.NoError(t, err)
	var outputsUsed []string
	var pushedTag string
	outputRef := regexp.MustCompile(`pulumi stack output (\w+)(?:\s*\|\s*jq -r \.(\w+))?`)
	for _, c := range cmds {
		for _, m := range outputRef.FindAllStringSubmatch(c, -1) {
			outputsUsed = append(outputsUsed, m[1]+"|"+m[2])
		}
		// The command itself: its words outside $(...) substitutions.
		words := strings.Fields(regexp.MustCompile(`"?\$\([^)]*\)"?`).ReplaceAllString(c, "SUBST"))
		for len(words) > 0 && regexp.MustCompile(`^[A-Z_]+=`).MatchString(words[0]) {
			name, value, _ := strings.Cut(words[0], "=")
			assert.Contains(t, makeText, "$("+name+")", "%q: the Makefile does not read %s", c, name)
			if name == "KO_TAGS" {
				pushedTag = value
			}
			words = words[1:]
		}
		require.NotEmpty(t, words, "%q has no command", c)
		switch {
		case words[0] == "make":
			require.GreaterOrEqual(t, len(words), 2, "%q names no target", c)
			_, ok := targets[words[1]]
			assert.True(t, ok, "%q: %s is not a deploy target of make help (%v)", c, words[1], targets)
			for _, w := range words[2:] {
				name, _, ok := strings.Cut(w, "=")
				if assert.True(t, ok, "%q: %q is not VAR=value", c, w) {
					assert.Contains(t, makeText, "$("+name+")", "%q: the Makefile does not read %s", c, name)
				}
			}
		case len(words) >= 3 && words[0] == "pulumi" && words[1] == "config" && words[2] == "set":
			assert.NoError(t, configSet(raw, words[3:]), "%q", c)
		case words[0] == "pulumi" && len(words) >= 2 && (words[1] == "login" || words[1] == "preview" || words[1] == "up"):
		case len(words) >= 3 && words[0] == "pulumi" && words[1] == "state" && words[2] == "unprotect":
			// What the engine tier runs before destroying prod (tests/engine, lifecycle).
			assert.Contains(t, words, "--all", "%q", c)
		case len(words) >= 3 && words[0] == "pulumi" && words[1] == "stack" && (words[2] == "select" || words[2] == "output"):
		case words[0] == "aws" && len(words) >= 3 && words[1] == "eks" && words[2] == "update-kubeconfig":
			assert.Contains(t, c, "--name \"$(pulumi stack output clusterName)\"", "%q", c)
		case words[0] == "kubectl":
			for i, w := range words {
				if w == "-n" && i+1 < len(words) {
					outputsUsed = append(outputsUsed, "workloadNamespaces|"+words[i+1]+"|value")
				}
			}
		default:
			t.Errorf("the quick start's %q has no check here: add one", c)
		}
	}

	rec, err := offline.Run("dev", raw, offline.Options{})
	require.NoError(t, err, "the dev stack with the quick start's config set lines")
	for _, u := range outputsUsed {
		parts := strings.Split(u, "|")
		out, ok := rec.Outputs[parts[0]]
		if !assert.True(t, ok, "the quick start reads output %s, which the dev stack does not export", parts[0]) || parts[1] == "" {
			continue
		}
		var m map[string]any
		b, _ := json.Marshal(out)
		if !assert.NoError(t, json.Unmarshal(b, &m), "output %s is not a map", parts[0]) {
			continue
		}
		if len(parts) == 3 { // a namespace: one of the map's values
			var values []any
			for _, v := range m {
				values = append(values, v)
			}
			assert.Contains(t, values, parts[1], "kubectl -n %s: not a workload namespace of the dev stack", parts[1])
			continue
		}
		assert.Contains(t, m, parts[1], "jq .%s: output %s has no such key", parts[1], parts[0])
	}
	if send, ok := rec.Outputs["sendTestMessages"].(string); ok {
		for _, line := range strings.Split(strings.TrimSpace(send), "\n") {
			assert.True(t, strings.HasPrefix(line, "aws sqs send-message-batch "), "sendTestMessages is piped to sh: %q", line)
		}
	}
	cfg, err := stacks.Load(raw, offline.Project, "dev")
	require.NoError(t, err)
	require.NotEmpty(t, cfg.Workloads)
	assert.Equal(t, cfg.Workloads[0].ImageTag, pushedTag, "the quick start pushes KO_TAGS=%s but configures imageTag %s", pushedTag, cfg.Workloads[0].ImageTag)
	for _, d := range []string{"cluster", "monitoring"} {
		assert.Contains(t, raw, stacks.Namespace+":"+d, "the quick start's config set lines reach %s", d)
	}
}

// TestMakeHelpGroups checks `make help`: every documented target once, the deploy targets
// (DEPLOY_TARGETS) first, each with its description.
func TestMakeHelpGroups(t *testing.T) {
	t.Parallel()
	out, err := topLevelMake("make", "-s", "-C", projectDir, "help").CombinedOutput()
	require.NoError(t, err, "%s", out)
	text := string(out)
	require.True(t, strings.HasPrefix(text, "Deploy (STACK="), "make help starts with the deploy group:\n%s", text)
	deploy := deployTargets(t)
	for _, target := range []string{"plan", "preview", "up", "destroy"} {
		assert.NotEmpty(t, deploy[target], "make help's deploy group lacks %s or its description", target)
	}
	listed := map[string]int{}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "  ") {
			listed[strings.Fields(line)[0]]++
		}
	}
	documented := regexp.MustCompile(`(?m)^([a-zA-Z_-]+):.*## `)
	for _, file := range makeFiles(t) {
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		for _, m := range documented.FindAllStringSubmatch(string(b), -1) {
			assert.Equal(t, 1, listed[m[1]], "make help lists %s (%s) %d times", m[1], file, listed[m[1]])
		}
	}
}
