package verify

import (
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// obj decodes a YAML manifest the way Pulumi hands values over: numbers as
// float64 (plain encoding/json). The validator must cope with that.
func obj(t testing.TB, manifest string) map[string]any {
	t.Helper()
	data, err := yaml.YAMLToJSONStrict([]byte(manifest))
	if err != nil {
		t.Fatalf("bad test manifest: %v\n%s", err, manifest)
	}
	out := map[string]any{}
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("bad test manifest: %v", err)
	}
	return out
}

// toObject turns v into the plain JSON object it encodes to (numbers as float64), the form
// the validator and the chart values comparisons read.
func toObject(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// ToObject is toObject for the tests of the external package verify_test.
var ToObject = toObject

// want is one expected error: at exactly path, with a message containing msg.
type want struct{ path, msg string }

// manifestCase is one manifest (a valid one, or one edited to break a rule) and the errors its
// validation must report (none for a valid one).
type manifestCase struct {
	name     string
	manifest func(t testing.TB) string
	wants    []want
}

// checkManifests validates each case's manifest, decoded by obj, in a parallel subtest and
// asserts the errors with checkErrors; the errors are logged, so -v shows each message.
func checkManifests(t *testing.T, validate func(map[string]any) error, cases []manifestCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := validate(obj(t, tc.manifest(t)))
			if err != nil {
				t.Log(err)
			}
			checkErrors(t, err, tc.wants)
		})
	}
}

// checkErrors asserts that err carries exactly the expected errors: each
// wanted one is present, and every reported path is a wanted one (the
// "rules were not checked" notice, which has no path, is allowed alongside).
func checkErrors(t *testing.T, err error, wants []want) {
	t.Helper()
	if len(wants) == 0 {
		if err != nil {
			t.Fatalf("want valid, got:\n%v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("want errors %v, got none", wants)
	}
	var oe *ObjectError
	if !errors.As(err, &oe) {
		t.Fatalf("want *ObjectError, got %T: %v", err, err)
	}
	wantedPaths := map[string]bool{}
	for _, w := range wants {
		wantedPaths[w.path] = true
		if !oe.Has(w.path, w.msg) {
			t.Errorf("missing error %q containing %q in:\n%s", w.path, w.msg, dump(oe))
		}
	}
	for _, fe := range oe.Errors {
		if fe.Path == "" && fe.Message == MsgRulesNotChecked {
			continue
		}
		if !wantedPaths[fe.Path] {
			t.Errorf("unexpected error %s", fe)
		}
	}
	if !strings.Contains(err.Error(), wants[0].path+": ") {
		t.Errorf("Error() does not name the path %q: %s", wants[0].path, err)
	}
}

func dump(oe *ObjectError) string {
	lines := make([]string, 0, len(oe.Errors))
	for _, fe := range oe.Errors {
		lines = append(lines, "  "+fe.String())
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func testValidator(t testing.TB) *Validator {
	t.Helper()
	v, err := Default()
	if err != nil {
		t.Fatalf("loading upstream CRDs: %v", err)
	}
	return v
}
