package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"testing"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel/model"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	metavalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/cel/environment"
)

// Validator checks custom resources against CRD schemas the way the
// apiextensions-apiserver does on create: unknown fields (which the server
// would prune) are reported, defaults are applied, and then the OpenAPI
// schema, list-type invariants, embedded-resource metadata and CEL rules
// (x-kubernetes-validations) are checked. Built-in kinds are checked by
// [ValidateBuiltin] from [Validator.ValidateAll].
//
// A Validator is safe for concurrent use.
type Validator struct {
	kinds             map[schema.GroupVersionKind]*crdVersion
	groupKinds        map[schema.GroupKind][]string // served versions
	allowMissingNames bool
}

// crdVersion is everything needed to validate one served version of a CRD.
type crdVersion struct {
	crdName         string
	gvk             schema.GroupVersionKind
	namespaced      bool
	structural      *structuralschema.Structural
	schemaValidator apiservervalidation.SchemaValidator
	celValidator    *cel.Validator
	hasStatus       bool
	scale           *apiextensionsinternal.CustomResourceSubresourceScale
}

// Option configures a Validator.
type Option func(*Validator)

// AllowMissingNames accepts objects with neither metadata.name nor
// metadata.generateName, as Pulumi fills in an auto-name when the program
// leaves it out. Without this option a missing name is an error.
func AllowMissingNames() Option {
	return func(v *Validator) { v.allowMissingNames = true }
}

// NewValidator compiles the schemas and CEL rules of every served version of
// the given CRDs. It fails if a schema is not structural or a CEL rule does not
// compile in the API server's environment for new expressions.
func NewValidator(crds []*apiextensionsv1.CustomResourceDefinition, opts ...Option) (*Validator, error) {
	v := &Validator{
		kinds:      map[schema.GroupVersionKind]*crdVersion{},
		groupKinds: map[schema.GroupKind][]string{},
	}
	for _, o := range opts {
		o(v)
	}
	var errs []error
	for _, crd := range crds {
		if err := v.add(crd); err != nil {
			errs = append(errs, fmt.Errorf("CRD %s: %w", crd.Name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return v, nil
}

func (v *Validator) add(crd *apiextensionsv1.CustomResourceDefinition) error {
	if crd.Spec.PreserveUnknownFields {
		return errors.New("spec.preserveUnknownFields is not supported")
	}
	gk := schema.GroupKind{Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind}
	if _, dup := v.groupKinds[gk]; dup {
		return fmt.Errorf("%s loaded twice", gk)
	}
	for _, ver := range crd.Spec.Versions {
		if !ver.Served {
			continue
		}
		if ver.Schema == nil || ver.Schema.OpenAPIV3Schema == nil {
			return fmt.Errorf("version %s has no schema", ver.Name)
		}
		internal := &apiextensionsinternal.CustomResourceValidation{}
		if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(ver.Schema, internal, nil); err != nil {
			return fmt.Errorf("version %s: converting schema: %w", ver.Name, err)
		}
		s, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
		if err != nil {
			return fmt.Errorf("version %s: schema is not structural: %w", ver.Name, err)
		}
		if errs := structuralschema.ValidateStructural(field.NewPath("schema"), s); len(errs) > 0 {
			return fmt.Errorf("version %s: schema is not structural: %w", ver.Name, errs.ToAggregate())
		}
		s = s.DeepCopy()
		if err := structuraldefaulting.PruneDefaults(s); err != nil {
			return fmt.Errorf("version %s: pruning defaults: %w", ver.Name, err)
		}
		if err := compileRules(field.NewPath("openAPIV3Schema"), s, true); err != nil {
			return fmt.Errorf("version %s: %w", ver.Name, err)
		}
		schemaValidator, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
		if err != nil {
			return fmt.Errorf("version %s: %w", ver.Name, err)
		}
		cv := &crdVersion{
			crdName:         crd.Name,
			gvk:             gk.WithVersion(ver.Name),
			namespaced:      crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
			structural:      s,
			schemaValidator: schemaValidator,
			celValidator:    cel.NewValidator(s, true, celconfig.PerCallLimit),
		}
		if ver.Subresources != nil {
			cv.hasStatus = ver.Subresources.Status != nil
			if ver.Subresources.Scale != nil {
				cv.scale = &apiextensionsinternal.CustomResourceSubresourceScale{}
				if err := apiextensionsv1.Convert_v1_CustomResourceSubresourceScale_To_apiextensions_CustomResourceSubresourceScale(ver.Subresources.Scale, cv.scale, nil); err != nil {
					return fmt.Errorf("version %s: converting scale subresource: %w", ver.Name, err)
				}
			}
		}
		v.kinds[cv.gvk] = cv
		v.groupKinds[gk] = append(v.groupKinds[gk], ver.Name)
	}
	return nil
}

// compileRules compiles every x-kubernetes-validations rule of the schema in
// the environment the API server uses when a CRD is created or updated, so a
// rule that could not be installed is reported up front instead of at
// validation time.
func compileRules(pth *field.Path, s *structuralschema.Structural, isRoot bool) error {
	if s == nil {
		return nil
	}
	var errs []error
	if len(s.XValidations) > 0 {
		results, err := cel.Compile(s, model.SchemaDeclType(s, isRoot || s.XEmbeddedResource), celconfig.PerCallLimit,
			environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()), cel.NewExpressionsEnvLoader())
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", pth, err))
		}
		for i, r := range results {
			if r.Error != nil {
				errs = append(errs, fmt.Errorf("%s.x-kubernetes-validations[%d] %q: %s", pth, i, s.XValidations[i].Rule, r.Error.Detail))
			}
			if r.MessageExpressionError != nil {
				errs = append(errs, fmt.Errorf("%s.x-kubernetes-validations[%d] messageExpression: %s", pth, i, r.MessageExpressionError.Detail))
			}
		}
	}
	props := make([]string, 0, len(s.Properties))
	for k := range s.Properties {
		props = append(props, k)
	}
	sort.Strings(props)
	for _, k := range props {
		p := s.Properties[k]
		if err := compileRules(pth.Child("properties", k), &p, false); err != nil {
			errs = append(errs, err)
		}
	}
	if err := compileRules(pth.Child("items"), s.Items, false); err != nil {
		errs = append(errs, err)
	}
	if s.AdditionalProperties != nil {
		if err := compileRules(pth.Child("additionalProperties"), s.AdditionalProperties.Structural, false); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

var (
	defaultOnce      sync.Once
	defaultValidator *Validator
	defaultErr       error
)

// Default returns a Validator for all Karpenter and KEDA CRDs of the pinned
// modules (NodePool, NodeClaim, EC2NodeClass, NodeOverlay, CapacityBuffer,
// ScaledObject, ScaledJob, TriggerAuthentication, ClusterTriggerAuthentication,
// CloudEventSource, ClusterCloudEventSource). It is built once per process.
func Default() (*Validator, error) {
	defaultOnce.Do(func() {
		crds, err := UpstreamCRDs()
		if err != nil {
			defaultErr = err
			return
		}
		defaultValidator, defaultErr = NewValidator(crds)
	})
	return defaultValidator, defaultErr
}

// With returns a Validator that shares v's compiled schemas and has opts
// applied on top of v's options.
func (v *Validator) With(opts ...Option) *Validator {
	c := *v
	for _, o := range opts {
		o(&c)
	}
	return &c
}

// ValidateObjects validates objects (custom resources of the upstream CRDs and
// built-in kinds) with the [Default] validator and opts. It is the one-liner
// for whole-stack tests: `err := verify.ValidateObjects(objs)`.
func ValidateObjects(objs []map[string]any, opts ...Option) error {
	v, err := Default()
	if err != nil {
		return err
	}
	return v.With(opts...).ValidateAll(objs)
}

// AssertValid is [ValidateObjects] for tests: it reports each invalid object
// (with every field error) as a separate t.Errorf, and fails the test
// (t.Fatal) if the CRDs cannot be loaded.
func AssertValid(t testing.TB, objs []map[string]any, opts ...Option) {
	t.Helper()
	v, err := Default()
	if err != nil {
		t.Fatalf("verify: loading CRDs: %v", err)
	}
	if len(objs) == 0 {
		t.Errorf("verify: no objects to validate")
	}
	err = v.With(opts...).ValidateAll(objs)
	if err == nil {
		return
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			t.Errorf("verify: %v", e)
		}
		return
	}
	t.Errorf("verify: %v", err)
}

// Kinds lists the served group/version/kinds the Validator knows, sorted.
func (v *Validator) Kinds() []schema.GroupVersionKind {
	out := make([]schema.GroupVersionKind, 0, len(v.kinds))
	for gvk := range v.kinds {
		out = append(out, gvk)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// Knows reports whether obj's apiVersion/kind is a served version of a loaded CRD.
func (v *Validator) Knows(obj map[string]any) bool {
	_, ok := v.kinds[gvkOf(obj)]
	return ok
}

// Validate checks one custom resource as if it were created on the API
// server. It returns nil or an *[ObjectError] listing every problem, each
// with its field path and the schema's or rule's message.
func (v *Validator) Validate(obj map[string]any) error {
	_, err := v.Admit(obj)
	return err
}

// Admit is [Validator.Validate] that also returns the object as the API
// server would persist it: unknown fields pruned, defaults applied, status
// dropped when it is a subresource. The input is not modified. On error the
// returned object is still the best effort (nil if obj could not be decoded).
func (v *Validator) Admit(obj map[string]any) (map[string]any, error) {
	u, err := normalize(obj)
	if err != nil {
		return nil, objectError(obj, []FieldError{{Type: string(field.ErrorTypeInvalid), Message: err.Error()}})
	}
	gvk := gvkOf(u)
	cv, ok := v.kinds[gvk]
	if !ok {
		return u, objectError(u, []FieldError{v.unknownKind(gvk)})
	}
	var ferrs []FieldError
	unknown := func(paths []string) {
		for _, p := range paths {
			ferrs = append(ferrs, FieldError{Path: p, Type: "FieldValueUnknown", Message: MsgUnknownField})
		}
	}
	var errs field.ErrorList

	// Decoding, as the CR handler's schema-coercing decoder does it.
	objectMeta, foundMeta, metaUnknown, err := schemaobjectmeta.GetObjectMetaWithOptions(u, schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		errs = append(errs, field.Invalid(field.NewPath("metadata"), u["metadata"], err.Error()))
		objectMeta, foundMeta = &metav1.ObjectMeta{}, false
	}
	unknown(metaUnknown)
	unknown(structuralpruning.PruneWithOptions(u, cv.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}))
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(u, cv.structural)
	ferr, embeddedUnknown := schemaobjectmeta.CoerceWithOptions(nil, u, cv.structural, false, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
	if ferr != nil {
		errs = append(errs, ferr)
	}
	unknown(embeddedUnknown)
	if foundMeta {
		if err := schemaobjectmeta.SetObjectMeta(u, objectMeta); err != nil {
			errs = append(errs, field.Invalid(field.NewPath("metadata"), nil, err.Error()))
		}
	}
	structuraldefaulting.Default(u, cv.structural)

	// PrepareForCreate.
	if _, has := u["status"]; has && cv.hasStatus {
		ferrs = append(ferrs, FieldError{Path: "status", Type: "FieldValueUnknown", Message: "status is a subresource: the API server drops it on create"})
		delete(u, "status")
	}

	// Namespace and name, as rest.BeforeCreate and the strategy see them.
	errs = append(errs, validateMeta(objectMeta, cv.namespaced, metavalidation.NameIsDNSSubdomain, v.allowMissingNames)...)

	// customResourceStrategy.Validate.
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, u, cv.schemaValidator)...)
	errs = append(errs, validateScale(u, cv.scale)...)
	errs = append(errs, schemaobjectmeta.Validate(context.Background(), nil, u, cv.structural, false)...)
	errs = append(errs, structurallisttype.ValidateListSetsAndMaps(nil, cv.structural, u)...)
	celSkipped := false
	if cv.celValidator != nil {
		if hasBlockingErr(errs) {
			celSkipped = true
		} else {
			celErrs, _ := cv.celValidator.Validate(context.Background(), nil, cv.structural, u, nil, celconfig.RuntimeCELCostBudget)
			errs = append(errs, celErrs...)
		}
	}
	ferrs = append(ferrs, fromFieldErrors(errs)...)
	if celSkipped {
		ferrs = append(ferrs, FieldError{Type: string(field.ErrorTypeInvalid), Message: MsgRulesNotChecked})
	}
	if len(ferrs) > 0 {
		return u, objectError(u, ferrs)
	}
	return u, nil
}

// validateMeta validates metadata for a create. A namespaced object without a
// namespace gets the one of the request (kubectl's context, Pulumi's
// provider default), so it is validated as if in "default"; a cluster-scoped
// object with a namespace has it silently cleared, which is reported.
func validateMeta(m *metav1.ObjectMeta, namespaced bool, nameFn metavalidation.ValidateNameFunc, allowMissingName bool) field.ErrorList {
	m = m.DeepCopy()
	var errs field.ErrorList
	switch {
	case namespaced && m.Namespace == "":
		m.Namespace = metav1.NamespaceDefault
	case !namespaced && m.Namespace != "":
		errs = append(errs, field.Forbidden(field.NewPath("metadata", "namespace"), "not allowed on a cluster-scoped kind: the API server drops it"))
		m.Namespace = ""
	}
	if m.Name == "" && m.GenerateName == "" && allowMissingName {
		m.Name = "autonamed"
	}
	return append(errs, metavalidation.ValidateObjectMetaAccessor(m, namespaced, nameFn, field.NewPath("metadata"))...)
}

// validateScale mirrors customResourceValidator.ValidateScaleSpec/Status.
func validateScale(u map[string]any, scale *apiextensionsinternal.CustomResourceSubresourceScale) field.ErrorList {
	if scale == nil {
		return nil
	}
	var errs field.ErrorList
	check := func(path string) {
		p := strings.TrimPrefix(path, ".")
		n, _, err := unstructured.NestedInt64(u, strings.Split(p, ".")...)
		switch {
		case err != nil:
			errs = append(errs, field.Invalid(field.NewPath(path), n, err.Error()))
		case n < 0:
			errs = append(errs, field.Invalid(field.NewPath(path), n, "should be a non-negative integer"))
		case n > math.MaxInt32:
			errs = append(errs, field.Invalid(field.NewPath(path), n, fmt.Sprintf("should be less than or equal to %v", math.MaxInt32)))
		}
	}
	check(scale.SpecReplicasPath)
	check(scale.StatusReplicasPath)
	if scale.LabelSelectorPath != nil {
		p := strings.TrimPrefix(*scale.LabelSelectorPath, ".")
		if s, _, err := unstructured.NestedString(u, strings.Split(p, ".")...); err != nil {
			errs = append(errs, field.Invalid(field.NewPath(*scale.LabelSelectorPath), s, err.Error()))
		}
	}
	return errs
}

// MsgRulesNotChecked is the API server's notice, reported without a path,
// that CEL rules were skipped because of earlier type or required-field errors.
const MsgRulesNotChecked = "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"

// hasBlockingErr mirrors the strategy: CEL rules are not evaluated when the
// object already has type or required-field errors.
func hasBlockingErr(errs field.ErrorList) bool {
	for _, err := range errs {
		switch err.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true
		}
	}
	return false
}

func (v *Validator) unknownKind(gvk schema.GroupVersionKind) FieldError {
	if served, ok := v.groupKinds[gvk.GroupKind()]; ok {
		return FieldError{Path: "apiVersion", Type: string(field.ErrorTypeNotSupported),
			Message: fmt.Sprintf("version %q of %s is not served (served: %s)", gvk.Version, gvk.GroupKind(), strings.Join(served, ", "))}
	}
	return FieldError{Path: "kind", Type: string(field.ErrorTypeNotSupported),
		Message: fmt.Sprintf("no CRD loaded for %s", gvk)}
}

// ValidateAll validates every object: custom resources of loaded CRDs with
// [Validator.Validate], built-in kinds with [ValidateBuiltin]. An object of
// any other kind is an error, and so are two objects with the same identity.
// The result joins one *[ObjectError] per bad object (nil if all are valid).
func (v *Validator) ValidateAll(objs []map[string]any) error {
	var errs []error
	seen := map[string]int{}
	for i, obj := range objs {
		var err error
		if v.Knows(obj) {
			err = v.Validate(obj)
		} else {
			err = ValidateBuiltin(obj)
		}
		if err != nil {
			errs = append(errs, err)
		}
		id := identity(obj)
		if j, dup := seen[id]; dup {
			errs = append(errs, fmt.Errorf("%s: objects #%d and #%d have the same identity; one would overwrite the other", id, j, i))
		} else {
			seen[id] = i
		}
	}
	return errors.Join(errs...)
}

// identity is apiVersion-group/kind/namespace/name (version-agnostic).
func identity(obj map[string]any) string {
	gvk := gvkOf(obj)
	ns, _, _ := unstructured.NestedString(obj, "metadata", "namespace")
	name, _, _ := unstructured.NestedString(obj, "metadata", "name")
	return fmt.Sprintf("%s %s/%s", gvk.GroupKind(), ns, name)
}

// normalize deep-copies obj through JSON, decoding numbers the way the API
// server does (integers as int64, others as float64), so Go ints, float64s
// from Pulumi property maps and YAML-decoded values all compare like a
// request body.
func normalize(obj map[string]any) (map[string]any, error) {
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encoding object as JSON: %w", err)
	}
	out := map[string]any{}
	if err := utiljson.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("decoding object JSON: %w", err)
	}
	return out, nil
}

func gvkOf(obj map[string]any) schema.GroupVersionKind {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	return schema.FromAPIVersionAndKind(apiVersion, kind)
}

func objectError(obj map[string]any, errs []FieldError) *ObjectError {
	e := &ObjectError{Errors: errs}
	e.APIVersion, _ = obj["apiVersion"].(string)
	e.Kind, _ = obj["kind"].(string)
	e.Namespace, _, _ = unstructured.NestedString(obj, "metadata", "namespace")
	e.Name, _, _ = unstructured.NestedString(obj, "metadata", "name")
	return e
}
