package requiredtest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

type args struct {
	Name string
	Tags []string
}

func TestBuilders(t *testing.T) {
	t.Parallel()
	assert.Nil(t, Nil[args]())
	assert.Equal(t, &args{}, Zero[args]())
	assert.NotSame(t, Zero[args](), Zero[args](), "every case gets its own Args")

	valid := func() *args { return &args{Name: "n", Tags: []string{"a"}} }
	noName := Without(valid, func(a *args) { a.Name = "" })
	assert.Equal(t, &args{Tags: []string{"a"}}, noName())
	first, second := noName(), noName()
	first.Tags[0] = "changed"
	assert.Equal(t, []string{"a"}, second.Tags, "each call starts again from valid")
	assert.Equal(t, &args{Name: "n", Tags: []string{"a"}}, valid(), "valid itself is left as it was")
}

func TestC(t *testing.T) {
	t.Parallel()
	c := C("no name", Nil[args], []string{"Name is required"})
	assert.Equal(t, "no name", c.Name)
	assert.Nil(t, c.Args())
	assert.Equal(t, []string{"Name is required"}, c.Want)
}
