package tests

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventscale/eventscale/stacks"
)

// configKeys lists every leaf key of a config struct as docs/configuration.md writes it ("network.vpcCidr").
func configKeys(prefix string, t reflect.Type) []string {
	var keys []string
	for _, k := range stacks.KeyFields(t) {
		key := k.Name
		if prefix != "" {
			key = prefix + "." + k.Name
		}
		ft := k.Field.Type
		switch {
		case ft.Kind() == reflect.Struct:
			keys = append(keys, configKeys(key, ft)...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			keys = append(keys, configKeys(key+"[]", ft.Elem())...)
		default:
			keys = append(keys, key)
		}
	}
	return keys
}

// defaultAt returns the JSON of the default value at a documented key.
func defaultAt(t *testing.T, key string) string {
	t.Helper()
	var root any
	var b []byte
	path := key
	if rest, ok := strings.CutPrefix(key, "workloads[]."); ok {
		b, _ = json.Marshal(stacks.DefaultWorkload())
		path = rest
	} else {
		b, _ = json.Marshal(stacks.Defaults())
	}
	require.NoError(t, json.Unmarshal(b, &root))
	cur := root
	for _, p := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		require.True(t, ok, "%s: %s is not an object", key, p)
		cur, ok = m[p]
		require.True(t, ok, "%s: no %s in the defaults", key, p)
	}
	out, _ := json.Marshal(cur)
	return string(out)
}

// TestConfigurationReference keeps docs/configuration.md true: every key the program reads has
// a row, every row is a real key, and every default cell equals Defaults().
func TestConfigurationReference(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(projectDir + "/docs/configuration.md")
	require.NoError(t, err)
	row := regexp.MustCompile("(?m)^\\| `([a-zA-Z\\[\\].]+)` \\| ([^|]+) \\| `([^`]*)` \\| (.+) \\|$")
	documented := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(string(readme), -1) {
		documented[m[1]] = m[3]
		assert.NotEmpty(t, strings.TrimSpace(m[4]), "%s has no meaning", m[1])
	}
	want := configKeys("", reflect.TypeOf(stacks.Config{}))
	sort.Strings(want)
	for _, k := range want {
		def, ok := documented[k]
		if !assert.True(t, ok, "docs/configuration.md lacks `%s`", k) {
			continue
		}
		got := defaultAt(t, k)
		if got == "null" && (def == "[]" || def == "{}") {
			got = def // an unset list or map: empty
		}
		assert.JSONEq(t, got, def, "docs/configuration.md's default of %s", k)
	}
	for k := range documented {
		assert.Contains(t, want, k, "docs/configuration.md documents %s, which the program does not read", k)
	}
}

// TestREADMEOutputs keeps the README's outputs table equal to what the dev stack exports.
func TestREADMEOutputs(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(projectDir + "/README.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(readme), "\n## Outputs\n")
	require.True(t, ok, "README has no Outputs section")
	section, _, _ = strings.Cut(section, "\n## ")
	row := regexp.MustCompile("(?m)^\\| `([a-zA-Z]+)` \\|")
	var documented []string
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		documented = append(documented, m[1])
	}
	var exported []string
	for k := range stackRun(t, "dev").Outputs {
		exported = append(exported, k)
	}
	assert.ElementsMatch(t, exported, documented, "README outputs table vs the dev stack's exports")
}
