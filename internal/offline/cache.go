package offline

import "sync"

// Cache runs each program at most once per key and shares the result among its callers, so the
// tests of one package run a stack once however many of them read it. Callers must treat the
// shared Recording as read-only. The zero value is ready to use; a Cache is safe for concurrent
// use, and runs of different keys proceed in parallel.
type Cache struct {
	mu   sync.Mutex
	runs map[string]*cachedRun
}

type cachedRun struct {
	once sync.Once
	rec  *Recording
	err  error
}

// Get returns the result of run for key, calling run only the first time key is asked for
// (also when it failed: the error is shared too).
func (c *Cache) Get(key string, run func() (*Recording, error)) (*Recording, error) {
	c.mu.Lock()
	if c.runs == nil {
		c.runs = map[string]*cachedRun{}
	}
	e, ok := c.runs[key]
	if !ok {
		e = &cachedRun{}
		c.runs[key] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.rec, e.err = run() })
	return e.rec, e.err
}

// StackFile is RunStackFile(dir, stack), run once per directory and stack.
func (c *Cache) StackFile(dir, stack string) (*Recording, error) {
	return c.Get("file:"+dir+"/"+stack, func() (*Recording, error) { return RunStackFile(dir, stack) })
}
