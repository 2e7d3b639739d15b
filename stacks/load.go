package stacks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/eventscale/eventscale/infra"
)

// RegionKey is the AWS provider's region key, read as Config.Region.
const RegionKey = "aws:region"

// sections are the keys of this project's namespace, in the order they are documented.
var sections = []string{"network", "cluster", "fargate", "karpenter", "keda", "queue", "monitoring", "registry", "workloads", "tags"}

// Load builds the stack's Config from the engine's raw config map (namespaced keys such as
// "eventscale:network" with JSON values for objects, as Pulumi passes them to programs).
// Decoding is strict: an unknown key at any depth is an error naming its full path. Load
// returns every decoding problem at once, then the result of Validate.
func Load(raw map[string]string, project, stack string) (Config, error) {
	cfg := Defaults()
	cfg.Project, cfg.Stack = project, stack
	var errs []error

	known := map[string]bool{}
	for _, s := range sections {
		known[Namespace+":"+s] = true
	}
	var keys []string
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.HasPrefix(k, Namespace+":") && !known[k] {
			errs = append(errs, fmt.Errorf("unknown config key %q%s (known keys: %s)", k, suggest(k, sections), strings.Join(prefixed(sections), ", ")))
		}
	}

	cfg.Region = raw[RegionKey]

	for _, s := range sections {
		v, ok := raw[Namespace+":"+s]
		if !ok {
			continue
		}
		key := Namespace + ":" + s
		switch s {
		case "workloads":
			ws, err := decodeWorkloads(key, v)
			errs = append(errs, err...)
			cfg.Workloads = ws
		case "tags":
			errs = append(errs, decodeStrict(key, v, &cfg.Tags)...)
		default:
			field := reflect.ValueOf(&cfg).Elem().FieldByIndex(sectionField(s).Index)
			errs = append(errs, decodeStrict(key, v, field.Addr().Interface())...)
		}
	}
	if len(errs) > 0 {
		return cfg, errors.Join(errs...)
	}
	applyDerivedDefaults(&cfg)
	return cfg, cfg.Validate()
}

// applyDerivedDefaults fills the defaults that depend on other values.
func applyDerivedDefaults(cfg *Config) {
	if cfg.Cluster.Name == "" {
		cfg.Cluster.Name = cfg.Project + "-" + cfg.Stack
	}
	for i := range cfg.Workloads {
		if cfg.Workloads[i].Namespace == "" {
			cfg.Workloads[i].Namespace = cfg.Workloads[i].Name
		}
	}
}

func decodeWorkloads(key, v string) ([]infra.WorkloadSettings, []error) {
	var items []json.RawMessage
	if err := json.Unmarshal([]byte(v), &items); err != nil {
		return nil, []error{fmt.Errorf("%s must be a list of workloads, got %s", key, quote(v))}
	}
	out := make([]infra.WorkloadSettings, 0, len(items))
	var errs []error
	for i, item := range items {
		w := DefaultWorkload()
		errs = append(errs, decodeStrict(fmt.Sprintf("%s[%d]", key, i), string(item), &w)...)
		out = append(out, w)
	}
	return out, errs
}

// decodeStrict decodes JSON text into dst (pre-filled with defaults), reporting unknown keys
// with their full path and type mismatches with the path and the offending value.
func decodeStrict(key, text string, dst any) []error {
	var generic any
	if err := json.Unmarshal([]byte(text), &generic); err != nil {
		return []error{fmt.Errorf("%s is not valid structured config: %v (value %s)", key, err, quote(text))}
	}
	var errs []error
	unknownKeys(key, generic, reflect.TypeOf(dst).Elem(), &errs)
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			path := key
			if te.Field != "" {
				path += "." + te.Field
			}
			errs = append(errs, fmt.Errorf("%s must be %s, got a JSON %s", path, goTypeName(te.Type), te.Value))
		} else {
			errs = append(errs, fmt.Errorf("%s: %v", key, err))
		}
	}
	return errs
}

// KeyField is a config key of a section's settings type: a struct field and the name its json
// tag gives it (the key as the stack file writes it).
type KeyField struct {
	Name  string
	Field reflect.StructField
}

// KeyFields returns the config keys of the struct type t, in field order: every field with a
// json name (not "-").
func KeyFields(t reflect.Type) []KeyField {
	var keys []KeyField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if name := strings.Split(f.Tag.Get("json"), ",")[0]; name != "" && name != "-" {
			keys = append(keys, KeyField{Name: name, Field: f})
		}
	}
	return keys
}

// unknownKeys walks a decoded JSON value alongside the Go type it will be decoded into.
func unknownKeys(path string, v any, t reflect.Type, errs *[]error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return // a type error, reported by the decoder
		}
		fields := map[string]reflect.StructField{}
		var names []string
		for _, k := range KeyFields(t) {
			fields[k.Name] = k.Field
			names = append(names, k.Name)
		}
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			f, ok := fields[k]
			if !ok {
				*errs = append(*errs, fmt.Errorf("%s.%s is not a known key%s (known: %s)", path, k, suggest(k, names), strings.Join(names, ", ")))
				continue
			}
			unknownKeys(path+"."+k, obj[k], f.Type, errs)
		}
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			return
		}
		for i, item := range arr {
			unknownKeys(fmt.Sprintf("%s[%d]", path, i), item, t.Elem(), errs)
		}
	}
}

// sectionField finds the Config field whose json tag is the section name.
func sectionField(section string) reflect.StructField {
	for _, k := range KeyFields(reflect.TypeOf(Config{})) {
		if k.Name == section {
			return k.Field
		}
	}
	panic("stacks: no Config field for section " + section) // programming error: sections and Config disagree
}

func goTypeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}

func prefixed(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = Namespace + ":" + n
	}
	return out
}

// suggest names the closest known key when the given one looks like a misspelling of it.
func suggest(got string, known []string) string {
	got = strings.TrimPrefix(got, Namespace+":")
	best, bestD := "", 3
	for _, k := range known {
		if d := distance(strings.ToLower(got), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein edit distance.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func quote(s string) string {
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return fmt.Sprintf("%q", s)
}

// ReadStackFile reads a Pulumi stack settings file (Pulumi.<stack>.yaml) and returns its
// `config:` map in the form the engine hands to programs: strings stay strings, and
// structured values (objects, lists, numbers, booleans) become their JSON text.
func ReadStackFile(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading stack file: %w", err)
	}
	var file struct {
		Config map[string]any `json:"config"`
	}
	if err := yaml.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("parsing stack file %s: %w", path, err)
	}
	out := make(map[string]string, len(file.Config))
	for k, v := range file.Config {
		if m, ok := v.(map[string]any); ok {
			if _, secure := m["secure"]; secure && len(m) == 1 {
				return nil, fmt.Errorf("stack file %s: %s is an encrypted secret, which the offline plan cannot decrypt; this project has no secret keys", path, k)
			}
		}
		if s, ok := v.(string); ok {
			out[k] = s
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("stack file %s: encoding %s: %w", path, k, err)
		}
		out[k] = string(b)
	}
	return out, nil
}

// Sections returns the names of this project's config keys (`eventscale:<section>`).
func Sections() []string { return append([]string(nil), sections...) }
