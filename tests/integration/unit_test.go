package integration

import (
	"strings"
	"testing"

	"github.com/eventscale/eventscale/internal/offline"
)

// Unit tests of the comparison, collection and ordering logic: no server.

func TestMissing(t *testing.T) {
	server := map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "w", "namespace": "n", "resourceVersion": "7", "labels": map[string]any{"a": "b"}},
		"spec": map[string]any{
			"replicas": int64(1),
			"template": map[string]any{"spec": map[string]any{
				"containers": []any{map[string]any{
					"name": "c", "image": "i", "terminationMessagePath": "/dev/termination-log",
					"resources": map[string]any{"limits": map[string]any{"cpu": "1", "memory": "1Gi"}},
				}},
			}},
		},
		"status": map[string]any{},
	}
	ok := []map[string]any{
		{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "w", "namespace": "n"}},
		{"metadata": map[string]any{"labels": map[string]any{"a": "b"}, "annotations": map[string]any{}}},
		{"spec": map[string]any{"replicas": 1.0}},
		{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{
			"name": "c", "env": []any{},
			"resources": map[string]any{"limits": map[string]any{"cpu": "1000m", "memory": "1024Mi"}},
		}}}}}},
		{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{
			"resources": map[string]any{"limits": map[string]any{"cpu": 1}},
		}}}}}},
	}
	for i, want := range ok {
		if d := Missing(want, server); len(d) != 0 {
			t.Errorf("case %d: unexpected differences %v", i, d)
		}
	}
	bad := []struct {
		want map[string]any
		diff string
	}{
		{map[string]any{"metadata": map[string]any{"labels": map[string]any{"a": "c"}}}, `.metadata.labels.a: want "c", got "b"`},
		{map[string]any{"spec": map[string]any{"paused": true}}, ".spec.paused: want true, absent on the server"},
		{map[string]any{"spec": map[string]any{"replicas": 2}}, ".spec.replicas: want 2, got 1"},
		{map[string]any{"spec": map[string]any{"replicas": "1"}}, `.spec.replicas: want "1", got 1`},
		{map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"volumes": []any{map[string]any{"name": "v"}}}}}},
			".spec.template.spec.volumes: want"},
		{map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{}, map[string]any{}}}}}},
			".spec.template.spec.containers: want 2 elements, got 1"},
		{map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{
			"resources": map[string]any{"limits": map[string]any{"cpu": "2"}}}}}}}},
			`.spec.template.spec.containers[0].resources.limits.cpu: want "2", got "1"`},
		{map[string]any{"metadata": "x"}, ".metadata: want"},
		{map[string]any{"metadata": map[string]any{"name": []any{"w"}}}, ".metadata.name: want a list"},
	}
	for i, c := range bad {
		d := Missing(c.want, server)
		if len(d) != 1 || !strings.Contains(d[0], c.diff) {
			t.Errorf("case %d: differences %v, want one containing %q", i, d, c.diff)
		}
	}
	// Secrets: stringData comes back base64-encoded in data.
	secret := map[string]any{"apiVersion": "v1", "kind": "Secret", "stringData": map[string]any{"k": "v"}}
	if d := Missing(secret, map[string]any{"apiVersion": "v1", "kind": "Secret", "data": map[string]any{"k": "dg=="}}); len(d) != 0 {
		t.Errorf("stringData: %v", d)
	}
	if d := Missing(secret, map[string]any{"apiVersion": "v1", "kind": "Secret", "data": map[string]any{"k": "dw=="}}); len(d) != 1 {
		t.Errorf("stringData with another value: differences %v, want 1", d)
	}
	// data and stringData together: the server holds both in data.
	both := map[string]any{"apiVersion": "v1", "kind": "Secret", "data": map[string]any{"a": "eA=="}, "stringData": map[string]any{"k": "v"}}
	if d := Missing(both, map[string]any{"apiVersion": "v1", "kind": "Secret", "data": map[string]any{"a": "eA==", "k": "dg=="}}); len(d) != 0 {
		t.Errorf("data and stringData: %v", d)
	}
	if d := Missing(both, map[string]any{"apiVersion": "v1", "kind": "Secret", "data": map[string]any{"k": "dg=="}}); len(d) != 1 || !strings.Contains(d[0], ".data.a") {
		t.Errorf("data and stringData, data's key gone: differences %v, want one naming .data.a", d)
	}
}

// TestChanged: a re-apply that changes only resourceVersion and managedFields changes nothing;
// any other field is a difference, both ways.
func TestChanged(t *testing.T) {
	obj := func(rv, label string) map[string]any {
		return map[string]any{"kind": "ConfigMap", "metadata": map[string]any{"name": "c", "resourceVersion": rv,
			"managedFields": []any{map[string]any{"manager": rv}}, "labels": map[string]any{"a": label}}}
	}
	before := obj("1", "x")
	if d := Changed(before, obj("2", "x")); len(d) != 0 {
		t.Errorf("only resourceVersion and managedFields changed: differences %v", d)
	}
	d := Changed(before, obj("2", "y"))
	if len(d) != 2 || !strings.Contains(d[0], ".metadata.labels.a") || !strings.HasPrefix(d[1], "(reverse) .metadata.labels.a") {
		t.Errorf("a label changed: differences %v, want it both ways", d)
	}
}

func TestCollect(t *testing.T) {
	rec := &offline.Recording{Stack: "s", Resources: []offline.Resource{
		{Type: "pulumi:providers:kubernetes", Name: "p", Custom: true},
		{Type: "kubernetes:core/v1:Namespace", Name: "ns", URN: "u1", Custom: true, Inputs: map[string]any{
			"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "n"}}},
		{Type: "kubernetes:helm.sh/v4:Chart", Name: "c", URN: "u2", Inputs: map[string]any{
			"chart": "oci://example/charts/keda", "version": "1.0.0", "namespace": "n", "values": map[string]any{"a": int64(1)}}},
		{Type: "aws:sqs/queue:Queue", Name: "q", Custom: true, Inputs: map[string]any{"apiVersion": "v1"}},
	}}
	s, err := Collect(rec)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Objects) != 1 || s.Objects[0].URN != "u1" || s.Objects[0].Index != 1 {
		t.Errorf("objects %+v, want the Namespace", s.Objects)
	}
	if len(s.Charts) != 1 || s.Charts[0].ChartName() != "keda" || s.Charts[0].Release != "c" || s.Charts[0].Namespace != "n" {
		t.Errorf("charts %+v, want keda with release c (the resource name) in n", s.Charts)
	}

	rec.Resources = append(rec.Resources, offline.Resource{Type: "kubernetes:apps/v1:Deployment", Name: "d", Custom: true, Inputs: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "d"},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"image": "<computed>"}}}}}}})
	if _, err := Collect(rec); err == nil || !strings.Contains(err.Error(), ".spec.template.spec.containers[0].image") {
		t.Errorf("Collect with an unresolved value: %v, want an error naming its path", err)
	}
}

func TestDeploymentOrder(t *testing.T) {
	// Registration order: ns, sa (depends on ns), comp (component), child of
	// comp, cr (depends on comp, so on its child), free.
	s := &Stack{Name: "t", Resources: []offline.Resource{
		{URN: "ns", Custom: true},
		{URN: "sa", Custom: true, Depends: []string{"ns"}},
		{URN: "comp"},
		{URN: "child", Custom: true, Parent: "comp"},
		{URN: "cr", Custom: true, Depends: []string{"comp"}},
		{URN: "free", Custom: true},
	}}
	order, err := s.DeploymentOrder()
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	var urns []string
	for i, idx := range order {
		pos[s.Resources[idx].URN] = i
		urns = append(urns, s.Resources[idx].URN)
	}
	if len(order) != len(s.Resources) {
		t.Fatalf("order %v misses resources", urns)
	}
	if pos["sa"] < pos["ns"] || pos["cr"] < pos["child"] {
		t.Errorf("order %v violates a dependency", urns)
	}
	// Adversarial: the last registered ready resource goes first.
	if urns[0] != "free" {
		t.Errorf("order %v starts with %s, want free (registered last, no dependencies)", urns, urns[0])
	}
	if !s.DependsOn("cr", "child") || s.DependsOn("sa", "child") || !s.DependsOn("sa", "ns") {
		t.Errorf("DependsOn: cr->child %v (want true), sa->child %v (want false), sa->ns %v (want true)",
			s.DependsOn("cr", "child"), s.DependsOn("sa", "child"), s.DependsOn("sa", "ns"))
	}

	s.Resources[0].Depends = []string{"sa"}
	if _, err := s.DeploymentOrder(); err == nil {
		t.Error("a dependency cycle was not reported")
	}
}
