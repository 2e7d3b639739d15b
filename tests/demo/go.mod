module github.com/eventscale/eventscale/tests/demo

go 1.26.8
