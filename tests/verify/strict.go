package verify

import (
	"encoding/json"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metavalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	kjson "sigs.k8s.io/json"
)

// BuiltinScheme knows every built-in Kubernetes type of k8s.io/api plus
// apiextensions.k8s.io/v1 CustomResourceDefinition.
var BuiltinScheme = newBuiltinScheme()

func newBuiltinScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := apiextensionsv1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}

// clusterScoped lists the built-in kinds that are not namespaced.
var clusterScoped = sets.New(
	"/Namespace", "/Node", "/PersistentVolume", "/ComponentStatus",
	"rbac.authorization.k8s.io/ClusterRole", "rbac.authorization.k8s.io/ClusterRoleBinding",
	"apiextensions.k8s.io/CustomResourceDefinition",
	"apiregistration.k8s.io/APIService",
	"admissionregistration.k8s.io/ValidatingWebhookConfiguration",
	"admissionregistration.k8s.io/MutatingWebhookConfiguration",
	"admissionregistration.k8s.io/ValidatingAdmissionPolicy",
	"admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding",
	"admissionregistration.k8s.io/MutatingAdmissionPolicy",
	"admissionregistration.k8s.io/MutatingAdmissionPolicyBinding",
	"storage.k8s.io/StorageClass", "storage.k8s.io/CSIDriver", "storage.k8s.io/CSINode",
	"storage.k8s.io/VolumeAttachment", "storage.k8s.io/VolumeAttributesClass",
	"scheduling.k8s.io/PriorityClass", "node.k8s.io/RuntimeClass",
	"networking.k8s.io/IngressClass", "networking.k8s.io/IPAddress", "networking.k8s.io/ServiceCIDR",
	"certificates.k8s.io/CertificateSigningRequest", "certificates.k8s.io/ClusterTrustBundle",
	"flowcontrol.apiserver.k8s.io/FlowSchema", "flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration",
	"resource.k8s.io/DeviceClass", "resource.k8s.io/ResourceSlice",
	"internal.apiserver.k8s.io/StorageVersion",
)

// IsBuiltin reports whether gvk is a built-in type that [ValidateBuiltin] checks.
func IsBuiltin(gvk schema.GroupVersionKind) bool {
	return BuiltinScheme.Recognizes(gvk)
}

// DecodeStrict decodes obj into a typed object such as *corev1.Namespace,
// *corev1.ServiceAccount or *appsv1.Deployment the way the API server's strict
// field validation does: unknown and case-mismatched fields are errors, as are
// values of the wrong type. If into's type is registered in [BuiltinScheme],
// obj's apiVersion/kind must be one of its kinds. The error is an
// *[ObjectError] naming each bad field path.
func DecodeStrict(obj map[string]any, into runtime.Object) error {
	data, err := json.Marshal(obj)
	if err != nil {
		return objectError(obj, []FieldError{{Type: string(field.ErrorTypeInvalid), Message: "encoding as JSON: " + err.Error()}})
	}
	if gvks, _, err := BuiltinScheme.ObjectKinds(into); err == nil {
		got := gvkOf(obj)
		ok := false
		want := make([]string, 0, len(gvks))
		for _, g := range gvks {
			ok = ok || g == got
			want = append(want, g.GroupVersion().String()+" "+g.Kind)
		}
		if !ok {
			return objectError(obj, []FieldError{{Path: "apiVersion", Type: string(field.ErrorTypeNotSupported),
				Message: fmt.Sprintf("%s %s does not decode into %T (want %s)", got.GroupVersion(), got.Kind, into, strings.Join(want, " or "))}})
		}
	}
	strictErrs, err := kjson.UnmarshalStrict(data, into)
	var ferrs []FieldError
	if err != nil {
		ferrs = append(ferrs, FieldError{Type: string(field.ErrorTypeTypeInvalid), Message: err.Error()})
	}
	for _, se := range strictErrs {
		if fe, ok := se.(kjson.FieldError); ok {
			ferrs = append(ferrs, FieldError{Path: fe.FieldPath(), Type: "FieldValueUnknown", Message: unknownFieldMessage(fe)})
		} else {
			ferrs = append(ferrs, FieldError{Type: string(field.ErrorTypeInvalid), Message: se.Error()})
		}
	}
	if len(ferrs) > 0 {
		return objectError(obj, ferrs)
	}
	return nil
}

func unknownFieldMessage(fe kjson.FieldError) string {
	if strings.HasPrefix(fe.Error(), "duplicate field") {
		return "duplicate field"
	}
	return MsgUnknownField
}

// ValidateBuiltin checks a built-in object: strict decoding into its k8s.io/api
// type ([DecodeStrict]), metadata (name format, namespace vs. scope, labels,
// annotations), and for the kinds this project deploys a few of the API
// server's own rules that are easy to get wrong from Pulumi: a Deployment's
// selector must be set and match its pod template labels, containers need a
// unique DNS-label name and an image.
func ValidateBuiltin(obj map[string]any) error {
	gvk := gvkOf(obj)
	typed, err := BuiltinScheme.New(gvk)
	if err != nil {
		return objectError(obj, []FieldError{{Path: "kind", Type: string(field.ErrorTypeNotSupported),
			Message: fmt.Sprintf("neither a built-in kind nor a loaded CRD: %s", gvk)}})
	}
	if err := DecodeStrict(obj, typed); err != nil {
		return err
	}
	accessor, ok := typed.(metav1.Object)
	if !ok {
		return nil
	}
	m := &metav1.ObjectMeta{
		Name: accessor.GetName(), GenerateName: accessor.GetGenerateName(), Namespace: accessor.GetNamespace(),
		Labels: accessor.GetLabels(), Annotations: accessor.GetAnnotations(), Finalizers: accessor.GetFinalizers(),
		OwnerReferences: accessor.GetOwnerReferences(),
	}
	nameFn := metavalidation.NameIsDNSSubdomain
	switch gvk.GroupKind() {
	case schema.GroupKind{Kind: "Namespace"}:
		nameFn = metavalidation.NameIsDNSLabel
	case schema.GroupKind{Kind: "Service"}:
		nameFn = metavalidation.NameIsDNS1035Label
	}
	namespaced := !clusterScoped.Has(gvk.Group + "/" + gvk.Kind)
	errs := validateMeta(m, namespaced, nameFn, false)
	switch o := typed.(type) {
	case *appsv1.Deployment:
		errs = append(errs, validateDeployment(o)...)
	}
	if len(errs) > 0 {
		return objectError(obj, fromFieldErrors(errs))
	}
	return nil
}

func validateDeployment(d *appsv1.Deployment) field.ErrorList {
	var errs field.ErrorList
	spec := field.NewPath("spec")
	if d.Spec.Selector == nil {
		errs = append(errs, field.Required(spec.Child("selector"), ""))
	} else if len(d.Spec.Selector.MatchLabels)+len(d.Spec.Selector.MatchExpressions) == 0 {
		errs = append(errs, field.Invalid(spec.Child("selector"), d.Spec.Selector, "empty selector is invalid for deployment"))
	} else if sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector); err != nil {
		errs = append(errs, field.Invalid(spec.Child("selector"), d.Spec.Selector, err.Error()))
	} else if !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		errs = append(errs, field.Invalid(spec.Child("template", "metadata", "labels"), d.Spec.Template.Labels, "`selector` does not match template `labels`"))
	}
	if d.Spec.Replicas != nil && *d.Spec.Replicas < 0 {
		errs = append(errs, field.Invalid(spec.Child("replicas"), *d.Spec.Replicas, "must be greater than or equal to 0"))
	}
	errs = append(errs, validatePodSpec(&d.Spec.Template.Spec, spec.Child("template", "spec"))...)
	return errs
}

func validatePodSpec(ps *corev1.PodSpec, pth *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(ps.Containers) == 0 {
		errs = append(errs, field.Required(pth.Child("containers"), ""))
	}
	names := sets.New[string]()
	check := func(cs []corev1.Container, p *field.Path) {
		for i, c := range cs {
			cp := p.Index(i)
			if c.Name == "" {
				errs = append(errs, field.Required(cp.Child("name"), ""))
			} else if msgs := validation.IsDNS1123Label(c.Name); len(msgs) > 0 {
				errs = append(errs, field.Invalid(cp.Child("name"), c.Name, strings.Join(msgs, "; ")))
			} else if names.Has(c.Name) {
				errs = append(errs, field.Duplicate(cp.Child("name"), c.Name))
			}
			names.Insert(c.Name)
			if strings.TrimSpace(c.Image) == "" {
				errs = append(errs, field.Required(cp.Child("image"), ""))
			}
		}
	}
	check(ps.InitContainers, pth.Child("initContainers"))
	check(ps.Containers, pth.Child("containers"))
	if ps.ServiceAccountName != "" {
		for _, msg := range metavalidation.NameIsDNSSubdomain(ps.ServiceAccountName, false) {
			errs = append(errs, field.Invalid(pth.Child("serviceAccountName"), ps.ServiceAccountName, msg))
		}
	}
	errs = append(errs, validateTopologySpread(ps.TopologySpreadConstraints, pth.Child("topologySpreadConstraints"))...)
	return errs
}

// validateTopologySpread holds the API server's rules for topology spread constraints
// (k8s.io/kubernetes pkg/apis/core/validation validateTopologySpreadConstraints): a positive
// maxSkew, a topology key, a known whenUnsatisfiable, one constraint per key and mode, a valid
// selector, and matchLabelKeys disjoint from the selector's keys.
func validateTopologySpread(tscs []corev1.TopologySpreadConstraint, pth *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := sets.New[string]()
	for i, c := range tscs {
		p := pth.Index(i)
		if c.MaxSkew <= 0 {
			errs = append(errs, field.Invalid(p.Child("maxSkew"), c.MaxSkew, "must be greater than zero"))
		}
		if c.TopologyKey == "" {
			errs = append(errs, field.Required(p.Child("topologyKey"), "can not be empty"))
		} else if msgs := validation.IsQualifiedName(c.TopologyKey); len(msgs) > 0 {
			errs = append(errs, field.Invalid(p.Child("topologyKey"), c.TopologyKey, strings.Join(msgs, "; ")))
		}
		if c.WhenUnsatisfiable != corev1.DoNotSchedule && c.WhenUnsatisfiable != corev1.ScheduleAnyway {
			errs = append(errs, field.NotSupported(p.Child("whenUnsatisfiable"), c.WhenUnsatisfiable, []string{string(corev1.DoNotSchedule), string(corev1.ScheduleAnyway)}))
		}
		if pair := c.TopologyKey + "/" + string(c.WhenUnsatisfiable); seen.Has(pair) {
			errs = append(errs, field.Duplicate(p, pair))
		} else {
			seen.Insert(pair)
		}
		if c.LabelSelector != nil {
			if _, err := metav1.LabelSelectorAsSelector(c.LabelSelector); err != nil {
				errs = append(errs, field.Invalid(p.Child("labelSelector"), c.LabelSelector, err.Error()))
			}
		} else if len(c.MatchLabelKeys) > 0 {
			errs = append(errs, field.Forbidden(p.Child("matchLabelKeys"), "must not be specified when labelSelector is not set"))
		}
		for j, k := range c.MatchLabelKeys {
			if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
				errs = append(errs, field.Invalid(p.Child("matchLabelKeys").Index(j), k, strings.Join(msgs, "; ")))
			}
			if c.LabelSelector != nil {
				_, inLabels := c.LabelSelector.MatchLabels[k]
				inExpr := false
				for _, e := range c.LabelSelector.MatchExpressions {
					inExpr = inExpr || e.Key == k
				}
				if inLabels || inExpr {
					errs = append(errs, field.Invalid(p.Child("matchLabelKeys").Index(j), k, "exists in both matchLabelKeys and labelSelector"))
				}
			}
		}
	}
	return errs
}
