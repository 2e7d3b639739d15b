// Package infra holds pure, resource-free building blocks of the platform: version pins,
// names and tags, IAM policy documents and Kubernetes object specs. Nothing here talks to
// Pulumi or AWS, so all of it is unit-tested with plain Go values.
//
// Naming: a config section is a plain XSettings struct (NetworkSettings, ClusterSettings,
// KarpenterSettings, KedaSettings, QueueSettings, WorkloadSettings, ...) carrying the keys' json
// tags; stacks.Config uses them as its sections and each component's Args embeds its own. The
// plain input of a Kubernetes object or chart values builder is also an XSettings struct: the
// section itself (NodePoolSettings) or one that embeds it and adds the values from elsewhere
// (KedaChartSettings, KarpenterChartSettings, WorkloadObjectSettings); the IAM documents take a
// KarpenterScope. "Spec" names only the spec of a Kubernetes object (NodePoolSpec). A
// builder is named after what it returns: NewX when it returns the type X (NewNodePoolSpec,
// NewKedaChartValues, NewWorkloadObjects), otherwise the thing itself (KarpenterChartValues,
// WorkloadDeployment, IRSATrust).
package infra

import (
	"fmt"
	"time"
)

// Version pins: the one place the platform's upstream versions are chosen.
const (
	// DefaultKubernetesVersion is the EKS minor version a stack gets unless it sets cluster.version.
	DefaultKubernetesVersion = "1.35"

	// KarpenterChartRepository is the OCI registry path Karpenter publishes its chart under, the
	// default of karpenter.chartRepository.
	KarpenterChartRepository = "oci://public.ecr.aws/karpenter"
	// KarpenterChartName is the chart's name in its repository.
	KarpenterChartName = "karpenter"
	// KarpenterChart is the OCI chart of the Karpenter controller in KarpenterChartRepository.
	KarpenterChart = KarpenterChartRepository + "/" + KarpenterChartName
	// KarpenterVersion is the chart and application version of Karpenter (API karpenter.sh/v1).
	KarpenterVersion = "1.14.1"

	// KedaChartRepo is the Helm repository KEDA publishes its chart in, the default of
	// keda.chartRepository.
	KedaChartRepo = "https://kedacore.github.io/charts"
	// KedaChart is the chart name in KedaChartRepo.
	KedaChart = "keda"
	// KedaVersion is the chart and application version of KEDA (API keda.sh/v1alpha1).
	KedaVersion = "2.20.2"
)

// PublishedImage is a container image as its publisher released it: repository, tag and the
// digest that tag pointed to, with where that pair was read. Tag and digest are recorded
// together because a `tag@digest` reference is pulled by digest: a digest of another release
// silently runs that release under this tag's name.
type PublishedImage struct {
	Repository, Tag, Digest string
	// Source is where the pair was read (repository, branch or tag, commit, file).
	Source string
}

// Ref is the image reference the pair pins: repository:tag@digest.
func (i PublishedImage) Ref() string { return i.Repository + ":" + i.Tag + "@" + i.Digest }

// KarpenterControllerImages are published public.ecr.aws/karpenter/controller releases. Upstream
// fills the chart's controller.image.tag and digest in on a release branch when it packages the
// chart; its main branch bumps only the tag on patch releases and keeps the previous digest, so a
// tag read from main can carry another release's digest. Each pair below is from that release's
// own packaging commit or the chart it produced.
var KarpenterControllerImages = []PublishedImage{
	{
		Repository: "public.ecr.aws/karpenter/controller", Tag: "1.13.0",
		Digest: "sha256:ea731b0cd813add8b2947a76bfe861c38069d85922b01d0c1647d1466279b7fe",
		Source: "aws/karpenter-provider-aws tag v1.14.1 (module github.com/aws/karpenter-provider-aws@v1.14.1), charts/karpenter/values.yaml, which still carries the 1.13.0 release's values",
	},
	{
		Repository: "public.ecr.aws/karpenter/controller", Tag: "1.14.0",
		Digest: "sha256:723130949e4cab989461ff07d1be4cd781d63515432494641b33c235f300ae23",
		Source: "aws/karpenter-provider-aws commit 692ccdd06 \"chore: Release v1.14.0\", charts/karpenter/values.yaml",
	},
	{
		Repository: "public.ecr.aws/karpenter/controller", Tag: "1.14.1",
		Digest: "sha256:445baefaaa689029cc12ac1f659b916b0b82fb14308ce536f8521fcf079116fa",
		Source: "aws/karpenter-provider-aws branch release-v1.14.1, commit c88abbbad \"Stable Release updates Release v1.14.1.\", charts/karpenter/values.yaml; the published OCI chart karpenter:1.14.1 renders this reference",
	},
}

// KarpenterControllerImage is the controller image of KarpenterVersion, from
// KarpenterControllerImages. The chart values pin it, so the image does not depend on which copy
// of the chart renders them (the chart sources at the v1.14.1 tag still say 1.13.0, and a private
// mirror may hold another packaging).
var KarpenterControllerImage = mustPublishedImage(KarpenterControllerImages, KarpenterVersion)

func mustPublishedImage(images []PublishedImage, tag string) PublishedImage {
	for _, i := range images {
		if i.Tag == tag {
			return i
		}
	}
	panic(fmt.Sprintf("infra: no published controller image recorded for Karpenter %s", tag))
}

// KubernetesRelease is one EKS Kubernetes minor the program accepts, with the facts that decide
// whether a plan warns about it.
type KubernetesRelease struct {
	// Version is the minor, e.g. "1.35".
	Version string
	// StandardSupportEnd is the day EKS standard support ends (YYYY-MM-DD, the calendar's "end of
	// standard support"); from then on the cluster runs in extended support, billed at a higher rate.
	StandardSupportEnd string
	// KedaTested says whether the pinned KEDA release lists this minor in its tested range.
	KedaTested bool
	// KarpenterMinimum is the oldest Karpenter release that supports this minor.
	KarpenterMinimum string
}

// KubernetesReleasesSource says where the facts in KubernetesReleases come from.
const KubernetesReleasesSource = "EKS standard support dates: the AWS EKS Kubernetes version calendar " +
	"(docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html; also endoflife.date/amazon-eks), read 2026-12-01; " +
	"KEDA 2.20 tested range v1.33 - v1.35: keda.sh/docs/2.20/operate/cluster (Kubernetes Compatibility); " +
	"Karpenter minimums: the Karpenter compatibility matrix (karpenter.sh/docs/upgrading/compatibility)"

// KubernetesReleases are the EKS minors a stack may choose, oldest first. Its first and last
// entries bound cluster.version.
var KubernetesReleases = []KubernetesRelease{
	{Version: "1.33", StandardSupportEnd: "2026-07-29", KedaTested: true, KarpenterMinimum: "1.5"},
	{Version: "1.34", StandardSupportEnd: "2026-12-02", KedaTested: true, KarpenterMinimum: "1.6"},
	{Version: "1.35", StandardSupportEnd: "2027-03-27", KedaTested: true, KarpenterMinimum: "1.9"},
	{Version: "1.36", StandardSupportEnd: "2027-08-02", KedaTested: false, KarpenterMinimum: "1.13"},
}

// KubernetesReleaseOf returns the accepted release for a minor version string, if any.
func KubernetesReleaseOf(version string) (KubernetesRelease, bool) {
	for _, r := range KubernetesReleases {
		if r.Version == version {
			return r, true
		}
	}
	return KubernetesRelease{}, false
}

// SupportWarningWindow is how long before the end of standard support a plan starts to warn.
const SupportWarningWindow = 30 * 24 * time.Hour

// Warnings returns what a person planning a cluster of this release on day `now` should be told:
// standard support ended or ending within SupportWarningWindow, and a minor outside the pinned
// KEDA release's tested range. It is empty for a release in good standing.
func (r KubernetesRelease) Warnings(now time.Time) []string {
	var out []string
	end, err := time.Parse(time.DateOnly, r.StandardSupportEnd)
	if err != nil {
		panic(fmt.Sprintf("infra: KubernetesReleases %s: bad date %q", r.Version, r.StandardSupportEnd)) // a table typo
	}
	// AWS's calendar gives the day standard support ends; extended support starts that day.
	today := now.UTC().Truncate(24 * time.Hour)
	switch {
	case !today.Before(end):
		out = append(out, fmt.Sprintf("Kubernetes %s has been in EKS extended support since %s: "+
			"the cluster is billed at the higher extended-support rate; upgrade to %s (AWS EKS Kubernetes version calendar)", r.Version, r.StandardSupportEnd, DefaultKubernetesVersion))
	case end.Sub(today) <= SupportWarningWindow:
		days := int(end.Sub(today).Hours() / 24)
		out = append(out, fmt.Sprintf("Kubernetes %s leaves EKS standard support on %s (in %d day(s)); from then on the cluster is billed at the higher extended-support rate: "+
			"plan an upgrade to %s (AWS EKS Kubernetes version calendar)", r.Version, r.StandardSupportEnd, days, DefaultKubernetesVersion))
	}
	if !r.KedaTested {
		tested := kedaTestedRange()
		out = append(out, fmt.Sprintf("Kubernetes %s is outside the range KEDA %s is tested on (%s to %s, KEDA's Kubernetes compatibility matrix); "+
			"Karpenter %s supports it", r.Version, KedaVersion, tested[0], tested[1], KarpenterVersion))
	}
	return out
}

func kedaTestedRange() [2]string {
	var lo, hi string
	for _, r := range KubernetesReleases {
		if r.KedaTested {
			if lo == "" {
				lo = r.Version
			}
			hi = r.Version
		}
	}
	return [2]string{lo, hi}
}
