package infra

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var digestRe = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// TestKarpenterControllerImagesArePairs checks the record of published controller images: one
// entry per tag, each digest under one tag only (a digest copied from another release is the
// mistake this record exists to prevent), every entry with its source, and the pinned image is the
// entry of KarpenterVersion.
func TestKarpenterControllerImagesArePairs(t *testing.T) {
	t.Parallel()
	tags, digests := map[string]bool{}, map[string]string{}
	for _, img := range KarpenterControllerImages {
		if tags[img.Tag] {
			t.Errorf("tag %s recorded twice", img.Tag)
		}
		tags[img.Tag] = true
		if other, dup := digests[img.Digest]; dup {
			t.Errorf("digest %s is recorded for both %s and %s: one of them is another release's", img.Digest, other, img.Tag)
		}
		digests[img.Digest] = img.Tag
		if !digestRe.MatchString(img.Digest) {
			t.Errorf("%s: digest %q is not a sha256 digest", img.Tag, img.Digest)
		}
		if img.Repository != "public.ecr.aws/karpenter/controller" || img.Source == "" {
			t.Errorf("%s: repository %q, source %q", img.Tag, img.Repository, img.Source)
		}
	}
	if KarpenterControllerImage.Tag != KarpenterVersion {
		t.Errorf("pinned controller image %s, Karpenter version %s", KarpenterControllerImage.Tag, KarpenterVersion)
	}
	want := "public.ecr.aws/karpenter/controller:1.14.1@sha256:445baefaaa689029cc12ac1f659b916b0b82fb14308ce536f8521fcf079116fa"
	if KarpenterControllerImage.Ref() != want {
		t.Errorf("pinned %s, the published chart karpenter:%s renders %s", KarpenterControllerImage.Ref(), KarpenterVersion, want)
	}
}

func TestKarpenterControllerImageValuesArePinnedPair(t *testing.T) {
	t.Parallel()
	img := KarpenterChartValues(KarpenterChartSettings{})["controller"].(map[string]any)["image"].(map[string]any)
	if img["tag"] != KarpenterControllerImage.Tag || img["digest"] != KarpenterControllerImage.Digest {
		t.Errorf("chart values pin %v, want %s", img, KarpenterControllerImage.Ref())
	}
}

func TestKubernetesReleases(t *testing.T) {
	t.Parallel()
	for i, r := range KubernetesReleases {
		if _, err := time.Parse(time.DateOnly, r.StandardSupportEnd); err != nil {
			t.Errorf("%s: %v", r.Version, err)
		}
		if !versionAtLeast(KarpenterVersion, r.KarpenterMinimum) {
			t.Errorf("Kubernetes %s needs Karpenter >= %s, the program pins %s", r.Version, r.KarpenterMinimum, KarpenterVersion)
		}
		if i > 0 && !versionAtLeast(r.Version, KubernetesReleases[i-1].Version) {
			t.Errorf("releases out of order at %s", r.Version)
		}
	}
	if r, ok := KubernetesReleaseOf(DefaultKubernetesVersion); !ok || !r.KedaTested {
		t.Errorf("the default %s must be an accepted, KEDA-tested release", DefaultKubernetesVersion)
	}
	if _, ok := KubernetesReleaseOf("1.32"); ok {
		t.Error("1.32 must not be accepted")
	}
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d.Add(15 * time.Hour) // any time of day
}

func TestKubernetesReleaseWarnings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		version, on string
		want        []string // one substring per expected warning, in order
	}{
		{"1.33", "2026-12-01", []string{"Kubernetes 1.33 has been in EKS extended support since 2026-07-29"}},
		{"1.34", "2026-12-01", []string{"Kubernetes 1.34 leaves EKS standard support on 2026-12-02 (in 1 day(s))"}},
		{"1.34", "2026-12-02", []string{"Kubernetes 1.34 has been in EKS extended support since 2026-12-02"}},
		{"1.34", "2026-10-01", nil},
		{"1.35", "2026-12-01", nil},
		{"1.35", "2027-03-01", []string{"Kubernetes 1.35 leaves EKS standard support on 2027-03-27 (in 26 day(s))"}},
		{"1.35", "2027-04-01", []string{"Kubernetes 1.35 has been in EKS extended support since 2027-03-27"}},
		{"1.36", "2026-12-01", []string{"Kubernetes 1.36 is outside the range KEDA 2.20.2 is tested on (1.33 to 1.35"}},
		{"1.36", "2027-08-10", []string{"extended support since 2027-08-02", "outside the range KEDA"}},
	}
	for _, c := range cases {
		r, ok := KubernetesReleaseOf(c.version)
		if !ok {
			t.Fatalf("%s not accepted", c.version)
		}
		got := r.Warnings(day(c.on))
		if len(got) != len(c.want) {
			t.Errorf("%s on %s: %d warnings %q, want %d", c.version, c.on, len(got), got, len(c.want))
			continue
		}
		for i, w := range c.want {
			if !strings.Contains(got[i], w) {
				t.Errorf("%s on %s: warning %q does not say %q", c.version, c.on, got[i], w)
			}
		}
	}
}

func TestVersionAtLeast(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a, b string
		want bool
	}{{"1.14.1", "1.13", true}, {"1.14.1", "1.14.1", true}, {"1.9", "1.13", false}, {"1.36", "1.35", true}, {"1.35", "1.36", false}} {
		if got := versionAtLeast(c.a, c.b); got != c.want {
			t.Errorf("versionAtLeast(%q, %q) = %v", c.a, c.b, got)
		}
	}
}

// versionAtLeast reports whether dotted version a (e.g. "1.14.1") is at least b (e.g. "1.13").
func versionAtLeast(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			return x > y
		}
	}
	return true
}
