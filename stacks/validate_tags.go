package stacks

import (
	"regexp"
	"strings"
)

var tagRe = regexp.MustCompile(`^[\w.-]{1,128}$`)

func (c Config) validateTags(v *validator) {
	if len(c.Tags) > 40 {
		v.add("%s has %d tags; at most 40 leave room for the ones the platform adds (AWS allows 50)", Namespace+":tags", len(c.Tags))
	}
	for _, k := range sortedKeys(c.Tags) {
		switch {
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			v.add("%s[%q] is not allowed: the aws: prefix is reserved by AWS", Namespace+":tags", k)
		case strings.HasPrefix(k, "eventscale:") || k == "managed-by":
			v.add("%s[%q] is not allowed: the platform sets it", Namespace+":tags", k)
		case !tagRe.MatchString(strings.ReplaceAll(strings.ReplaceAll(k, "/", "."), ":", ".")):
			v.add("%s[%q] must be 1 to 128 letters, digits or . _ - / :", Namespace+":tags", k)
		case len(c.Tags[k]) > 256:
			v.add("%s[%q] value must be at most 256 characters, got %d", Namespace+":tags", k, len(c.Tags[k]))
		}
	}
}
