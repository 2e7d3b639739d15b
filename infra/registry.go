package infra

// RegistrySettings is the `eventscale:registry` section: the stack's image repository, which
// holds the image of every workload that does not name one (workloads[].image empty). It is the
// config section (stacks.Config.Registry) and the settings of the registry component
// (registry.Args).
type RegistrySettings struct {
	// ImageTagMutability is ImmutableTags (a pushed tag cannot be pushed again with another
	// image) or MutableTags.
	ImageTagMutability string `json:"imageTagMutability"`
	// KeepTaggedImages is how many tagged images the lifecycle policy keeps, the most recently
	// pushed; older tagged images expire.
	KeepTaggedImages int `json:"keepTaggedImages"`
	// UntaggedExpiryDays is how many days after its push an untagged image expires.
	UntaggedExpiryDays int `json:"untaggedExpiryDays"`
	// ForceDelete lets `pulumi destroy` delete the repository with its images; false makes the
	// delete fail while the repository holds an image.
	ForceDelete bool `json:"forceDelete"`
}

// Image tag mutability settings of an ECR repository (pulumi-aws v6.83.4's ecr.Repository
// imageTagMutability: "Must be one of: `MUTABLE` or `IMMUTABLE`", sdk/v6/go/aws/ecr/repository.go,
// Go module cache, read 2026-12-07).
const (
	MutableTags   = "MUTABLE"
	ImmutableTags = "IMMUTABLE"
)

// LatestTag is the tag a pull without one resolves to, and the workloads' default imageTag. An
// immutable repository takes it once, so a worker pinned to it never sees a new image.
const LatestTag = "latest"

// ECRLifecyclePolicy is an ECR lifecycle policy document, in the terms of the Amazon ECR User
// Guide's "Lifecycle policy properties in Amazon ECR"
// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_parameters.html, read
// 2026-12-07).
type ECRLifecyclePolicy struct {
	Rules []ECRLifecycleRule `json:"rules"`
}

// ECRLifecycleRule is one rule of an ECRLifecyclePolicy: the images it selects expire.
type ECRLifecycleRule struct {
	RulePriority int                   `json:"rulePriority"`
	Description  string                `json:"description"`
	Selection    ECRLifecycleSelection `json:"selection"`
	Action       ECRLifecycleAction    `json:"action"`
}

// ECRLifecycleSelection selects images by tag status and by count or age.
type ECRLifecycleSelection struct {
	TagStatus      string   `json:"tagStatus"`
	TagPatternList []string `json:"tagPatternList,omitempty"`
	CountType      string   `json:"countType"`
	CountUnit      string   `json:"countUnit,omitempty"`
	CountNumber    int      `json:"countNumber"`
}

// ECRLifecycleAction is what happens to the selected images.
type ECRLifecycleAction struct {
	Type string `json:"type"`
}

// ImageLifecyclePolicy expires untagged images untaggedExpiryDays after their push, and tagged
// images beyond the keepTagged most recently pushed: the EKS Best Practices Guide's "Implement
// lifecycle policies for ECR" (https://docs.aws.amazon.com/eks/latest/best-practices/image-security.html,
// read 2026-12-07: stale images with vulnerable packages should be removed). A tagged rule must
// name tags (tagPatternList "*" selects every tagged image), an untagged one none; the rules are
// in ascending rulePriority, the order ECR returns them in (pulumi-aws v6.83.4 ecr.LifecyclePolicy's
// note: another order shows a diff on every update).
func ImageLifecyclePolicy(untaggedExpiryDays, keepTagged int) ECRLifecyclePolicy {
	return ECRLifecyclePolicy{Rules: []ECRLifecycleRule{
		{
			RulePriority: 1,
			Description:  "Expire untagged images pushed more than untaggedExpiryDays ago",
			Selection:    ECRLifecycleSelection{TagStatus: "untagged", CountType: "sinceImagePushed", CountUnit: "days", CountNumber: untaggedExpiryDays},
			Action:       ECRLifecycleAction{Type: "expire"},
		},
		{
			RulePriority: 2,
			Description:  "Keep the keepTaggedImages most recently pushed tagged images",
			Selection:    ECRLifecycleSelection{TagStatus: "tagged", TagPatternList: []string{"*"}, CountType: "imageCountMoreThan", CountNumber: keepTagged},
			Action:       ECRLifecycleAction{Type: "expire"},
		},
	}}
}

// JSON renders the policy as compact JSON, the form ECR and Pulumi take.
func (p ECRLifecyclePolicy) JSON() string { return pipelineJSON(p) }
