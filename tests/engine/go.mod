module github.com/eventscale/eventscale/tests/engine

go 1.26.8

replace github.com/eventscale/eventscale => ../..
