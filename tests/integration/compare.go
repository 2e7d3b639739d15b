package integration

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"slices"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Missing compares the object we applied with the object the server returns
// and lists every field we set that the server does not carry with the same
// value, as "path: want X, got Y". Fields the server adds (defaults, status,
// metadata it manages) are ignored. Rules:
//
//   - maps: every key we set must be present and equal; extra keys are fine;
//   - lists: same length, element by element;
//   - numbers compare by value (1 == 1.0);
//   - quantities the server canonicalizes compare by value ("1000m" == "1",
//     "1024Mi" == "1Gi", 1 == "1"), but only when both sides parse as
//     quantities and the values are not otherwise equal;
//   - an empty map, empty list, null, "", false or 0 we set may be absent on
//     the server (built-in types omit empty fields);
//   - a Secret's stringData must come back base64-encoded in data.
func Missing(want, got map[string]any) []string {
	want = normalizeJSON(want)
	got = normalizeJSON(got)
	if want["kind"] == "Secret" && want["apiVersion"] == "v1" {
		want = secretStringDataToData(want)
	}
	var diffs []string
	subset(want, got, "", &diffs)
	return diffs
}

func subset(want, got any, at string, diffs *[]string) {
	if isEmpty(want) && got == nil {
		return
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			*diffs = append(*diffs, fmt.Sprintf("%s: want an object, got %s", pathOr(at), show(got)))
			return
		}
		for _, k := range slices.Sorted(maps.Keys(w)) {
			gv, present := g[k]
			if !present {
				if isEmpty(w[k]) || isZeroScalar(w[k]) {
					continue
				}
				*diffs = append(*diffs, fmt.Sprintf("%s.%s: want %s, absent on the server", at, k, show(w[k])))
				continue
			}
			subset(w[k], gv, at+"."+k, diffs)
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			*diffs = append(*diffs, fmt.Sprintf("%s: want a list, got %s", pathOr(at), show(got)))
			return
		}
		if len(w) != len(g) {
			*diffs = append(*diffs, fmt.Sprintf("%s: want %d elements, got %d: %s", pathOr(at), len(w), len(g), show(got)))
			return
		}
		for i := range w {
			subset(w[i], g[i], fmt.Sprintf("%s[%d]", at, i), diffs)
		}
	default:
		if !scalarEqual(want, got) {
			*diffs = append(*diffs, fmt.Sprintf("%s: want %s, got %s", pathOr(at), show(want), show(got)))
		}
	}
}

func scalarEqual(want, got any) bool {
	if want == got {
		return true
	}
	wn, wok := want.(json.Number)
	gn, gok := got.(json.Number)
	if wok && gok {
		a, _, err1 := big.ParseFloat(string(wn), 10, 256, big.ToNearestEven)
		b, _, err2 := big.ParseFloat(string(gn), 10, 256, big.ToNearestEven)
		if err1 == nil && err2 == nil && a.Cmp(b) == 0 {
			return true
		}
	}
	// Quantities the server canonicalized.
	wq, werr := asQuantity(want)
	gs, gisString := got.(string)
	if werr == nil && gisString {
		if gq, err := resource.ParseQuantity(gs); err == nil && wq.Cmp(gq) == 0 {
			return true
		}
	}
	return false
}

func asQuantity(v any) (resource.Quantity, error) {
	switch x := v.(type) {
	case string:
		return resource.ParseQuantity(x)
	case json.Number:
		return resource.ParseQuantity(string(x))
	}
	return resource.Quantity{}, fmt.Errorf("not a quantity")
}

// isZeroScalar reports "", false and 0: built-in types omit such fields
// (omitempty), so the server does not return them.
func isZeroScalar(v any) bool {
	switch x := v.(type) {
	case string:
		return x == ""
	case bool:
		return !x
	case json.Number:
		f, err := x.Float64()
		return err == nil && f == 0
	}
	return false
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

func pathOr(at string) string {
	if at == "" {
		return "."
	}
	return at
}

func show(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	if len(data) > 200 {
		return string(data[:200]) + "..."
	}
	return string(data)
}

// normalizeJSON round-trips v through JSON with numbers as json.Number, so
// int64, float64 and json.Number values compare alike.
func normalizeJSON(v map[string]any) map[string]any {
	data, err := json.Marshal(v)
	if err != nil {
		return v
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	out := map[string]any{}
	if err := dec.Decode(&out); err != nil {
		return v
	}
	return out
}

func secretStringDataToData(obj map[string]any) map[string]any {
	sd, ok := obj["stringData"].(map[string]any)
	if !ok {
		return obj
	}
	out := maps.Clone(obj)
	data := map[string]any{}
	if d, ok := obj["data"].(map[string]any); ok {
		maps.Copy(data, d)
	}
	for k, v := range sd {
		s, _ := v.(string)
		data[k] = base64.StdEncoding.EncodeToString([]byte(s))
	}
	delete(out, "stringData")
	out["data"] = data
	return out
}

// Changed lists the differences between two versions of an object, both
// ways, ignoring metadata.resourceVersion and metadata.managedFields: what a
// no-op re-apply must leave untouched.
func Changed(before, after map[string]any) []string {
	b := withoutVolatileMeta(normalizeJSON(before))
	a := withoutVolatileMeta(normalizeJSON(after))
	var diffs []string
	subset(b, a, "", &diffs)
	var back []string
	subset(a, b, "", &back)
	for _, d := range back {
		diffs = append(diffs, "(reverse) "+d)
	}
	return diffs
}

func withoutVolatileMeta(obj map[string]any) map[string]any {
	meta, ok := obj["metadata"].(map[string]any)
	if !ok {
		return obj
	}
	m := maps.Clone(meta)
	delete(m, "resourceVersion")
	delete(m, "managedFields")
	out := maps.Clone(obj)
	out["metadata"] = m
	return out
}
