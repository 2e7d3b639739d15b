package verify

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// CRDFile is one CustomResourceDefinition manifest as read from disk.
type CRDFile struct {
	// Path is the file's absolute path.
	Path string
	// Data is the file's content, byte for byte.
	Data []byte
}

// ReadCRDDir reads every *.yaml file of dir, sorted by name.
func ReadCRDDir(dir string) ([]CRDFile, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no *.yaml CRD files in %s", dir)
	}
	sort.Strings(paths)
	files := make([]CRDFile, 0, len(paths))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		files = append(files, CRDFile{Path: p, Data: data})
	}
	return files, nil
}

// KarpenterCRDFiles returns all CRDs of the pinned Karpenter module
// (pkg/apis/crds: NodePool, NodeClaim, EC2NodeClass, NodeOverlay and the
// CapacityBuffer CRD the chart ships).
func KarpenterCRDFiles() ([]CRDFile, error) {
	dir, err := ModuleDir(KarpenterModule, KarpenterVersion)
	if err != nil {
		return nil, err
	}
	return ReadCRDDir(filepath.Join(dir, filepath.FromSlash(KarpenterCRDDir)))
}

// KEDACRDFiles returns all CRDs of the pinned KEDA module (config/crd/bases:
// ScaledObject, ScaledJob, TriggerAuthentication,
// ClusterTriggerAuthentication, CloudEventSource, ClusterCloudEventSource).
func KEDACRDFiles() ([]CRDFile, error) {
	dir, err := ModuleDir(KEDAModule, KEDAVersion)
	if err != nil {
		return nil, err
	}
	return ReadCRDDir(filepath.Join(dir, filepath.FromSlash(KEDACRDDir)))
}

// ParseCRD decodes one apiextensions.k8s.io/v1 CustomResourceDefinition
// manifest strictly (unknown fields are errors) and applies the API server's
// defaults for CRD objects.
func ParseCRD(data []byte) (*apiextensionsv1.CustomResourceDefinition, error) {
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(data, crd); err != nil {
		return nil, fmt.Errorf("decoding CRD: %w", err)
	}
	if crd.APIVersion != apiextensionsv1.SchemeGroupVersion.String() || crd.Kind != "CustomResourceDefinition" {
		return nil, fmt.Errorf("not an %s CustomResourceDefinition: apiVersion %q kind %q", apiextensionsv1.SchemeGroupVersion, crd.APIVersion, crd.Kind)
	}
	apiextensionsv1.SetObjectDefaults_CustomResourceDefinition(crd)
	return crd, nil
}

// ParseCRDFiles parses every file with [ParseCRD], naming the file in errors.
func ParseCRDFiles(files []CRDFile) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	crds := make([]*apiextensionsv1.CustomResourceDefinition, 0, len(files))
	for _, f := range files {
		crd, err := ParseCRD(f.Data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Path, err)
		}
		crds = append(crds, crd)
	}
	return crds, nil
}

// UpstreamCRDs returns all Karpenter and KEDA CRDs from the pinned modules.
func UpstreamCRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	karpenter, err := KarpenterCRDFiles()
	if err != nil {
		return nil, err
	}
	keda, err := KEDACRDFiles()
	if err != nil {
		return nil, err
	}
	return ParseCRDFiles(append(karpenter, keda...))
}
