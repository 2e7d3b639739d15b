package verify

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// MsgUnknownField is the message of a [FieldError] for a field that the
// schema does not declare. The API server prunes such fields silently (or only
// warns), so the value never takes effect.
const MsgUnknownField = "field not declared in schema"

// FieldError is one problem at one field path.
type FieldError struct {
	// Path is the field path, e.g. "spec.template.spec.nodeClassRef.apiVersion"
	// or "spec.triggers[0].metadata.queueLength". Empty for the object itself.
	Path string
	// Type classifies the problem: "FieldValueUnknown" for pruned fields, else
	// a k8s.io/apimachinery field.ErrorType such as "FieldValueInvalid".
	Type string
	// Message says what is wrong, including the schema's or CEL rule's message.
	Message string
}

// String renders the error as "path: message".
func (e FieldError) String() string {
	if e.Path == "" {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

func fromFieldErrors(errs field.ErrorList) []FieldError {
	out := make([]FieldError, 0, len(errs))
	for _, e := range errs {
		path := e.Field
		if path == "<nil>" { // field.Path(nil).String(): an error about the whole object
			path = ""
		}
		out = append(out, FieldError{Path: path, Type: string(e.Type), Message: e.ErrorBody()})
	}
	return out
}

// ObjectError lists every problem found in one object.
type ObjectError struct {
	APIVersion, Kind, Namespace, Name string
	Errors                            []FieldError
}

// Error renders "apiVersion Kind namespace/name: path: message; path: message".
func (e *ObjectError) Error() string {
	msgs := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		msgs[i] = fe.String()
	}
	return e.Object() + ": " + strings.Join(msgs, "; ")
}

// Object names the object, e.g. "keda.sh/v1alpha1 ScaledObject work/worker".
func (e *ObjectError) Object() string {
	name := e.Name
	if e.Namespace != "" {
		name = e.Namespace + "/" + name
	}
	if name == "" {
		name = "<unnamed>"
	}
	return fmt.Sprintf("%s %s %s", e.APIVersion, e.Kind, name)
}

// Has reports whether some error is at exactly path and its message contains
// substr (any message if substr is empty).
func (e *ObjectError) Has(path, substr string) bool {
	for _, fe := range e.Errors {
		if fe.Path == path && strings.Contains(fe.Message, substr) {
			return true
		}
	}
	return false
}
