package main

import "sync"

// hugo#3251: a page holds the site lock and initialises through a
// sync.Once whose function needs the site lock; another caller is inside
// that function, and more callers of the Once queue behind it.
type site struct {
	mu   sync.Mutex
	once sync.Once
	menu []string
}

func (s *site) initMenu() {
	s.once.Do(func() {
		pause()
		s.mu.Lock()
		s.menu = []string{"home"}
		s.mu.Unlock()
	})
}

func (s *site) render() {
	s.mu.Lock()
	defer s.mu.Unlock()
	pause()
	s.initMenu()
}

// hugo#5379: the first caller's Once function waits on a channel nobody
// will send on; every other caller of the same Once queues behind it.
type resource struct {
	once    sync.Once
	publish chan string
	link    string
}

func (r *resource) permalink() string {
	r.once.Do(func() { r.link = <-r.publish })
	return r.link
}

func init() {
	register("hugo-3251-once-lock", func() {
		background()
		s := &site{}
		go s.initMenu()
		go s.render()
		pause()
		pause()
		for i := 0; i < 2; i++ {
			go s.initMenu()
		}
	})
	register("hugo-5379-once-stuck", func() {
		r := &resource{publish: make(chan string)}
		go r.permalink()
		pause()
		for i := 0; i < 2; i++ {
			go r.permalink()
		}
	})
}
