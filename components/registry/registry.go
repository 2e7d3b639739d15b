// Package registry provides the Registry component: the stack's ECR repository for the images of
// the workloads that name none, with its lifecycle policy.
package registry

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eventscale/eventscale/components/internal/component"
	"github.com/eventscale/eventscale/components/internal/required"
	"github.com/eventscale/eventscale/infra"
)

// TypeToken is the Pulumi type of the Registry component.
const TypeToken = "eventscale:registry:Registry"

// Args configures a Registry: its settings (the `eventscale:registry` section) and what the stack
// gives it. All values are plain.
type Args struct {
	// RegistrySettings are the tag mutability, the lifecycle policy's counts and ForceDelete.
	infra.RegistrySettings
	// Name is the repository's name (infra.ECRRepositoryName).
	Name string
	// Tags go on the repository.
	Tags map[string]string
}

// Registry is an ECR repository that scans every image on push, with ImageTagMutability and a
// lifecycle policy that expires untagged images UntaggedExpiryDays after their push and tagged
// images beyond the KeepTaggedImages most recently pushed (infra.ImageLifecyclePolicy).
//
// Resources: ecr.Repository (resource name: the component's) and ecr.LifecyclePolicy. The
// repository predates the component: it was a top-level resource of the stack, named as the
// component is now ("worker-images"), so it carries an alias to that URN (the same name, no
// parent), and a stack deployed before keeps its repository and images instead of replacing them.
type Registry struct {
	pulumi.ResourceState

	// RepositoryURL is the repository's URL, <account>.dkr.ecr.<region>.amazonaws.com/<Name>.
	RepositoryURL pulumi.StringOutput `pulumi:"repositoryUrl"`
	// Arn is the repository's ARN.
	Arn pulumi.StringOutput `pulumi:"arn"`
}

// kind is the Registry component's error prefix, type token and presence checks.
var kind = component.Kind[Args]{Name: "registry", Type: TypeToken, Check: (*Args).check}

// check adds a message for each value New needs that is missing. The settings' ranges are
// stacks.Validate's, which names the config key.
func (a *Args) check(c *required.Check) {
	c.Strings("Name", a.Name, "ImageTagMutability", a.ImageTagMutability)
}

// New creates a Registry.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Registry, error) {
	comp, parent, err := component.New[Registry](ctx, kind, name, args, opts...)
	if err != nil {
		return nil, err
	}
	repo, err := ecr.NewRepository(ctx, name, &ecr.RepositoryArgs{
		Name:               pulumi.String(args.Name),
		ImageTagMutability: pulumi.String(args.ImageTagMutability),
		// Scan on push: ECR's basic scanning reports the image's known vulnerabilities.
		ImageScanningConfiguration: &ecr.RepositoryImageScanningConfigurationArgs{ScanOnPush: pulumi.Bool(true)},
		ForceDelete:                pulumi.Bool(args.ForceDelete),
		Tags:                       pulumi.ToStringMap(args.Tags),
	}, parent, pulumi.Aliases([]pulumi.Alias{{NoParent: pulumi.Bool(true)}}))
	if err != nil {
		return nil, fmt.Errorf("creating image repository: %w", err)
	}
	if _, err := ecr.NewLifecyclePolicy(ctx, name+"-lifecycle-policy", &ecr.LifecyclePolicyArgs{
		Repository: repo.Name,
		Policy:     pulumi.String(infra.ImageLifecyclePolicy(args.UntaggedExpiryDays, args.KeepTaggedImages).JSON()),
	}, parent); err != nil {
		return nil, fmt.Errorf("creating image lifecycle policy: %w", err)
	}
	comp.RepositoryURL, comp.Arn = repo.RepositoryUrl, repo.Arn
	return component.Finish(ctx, comp)
}
