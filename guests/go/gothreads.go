// gothreads — a Go program for mmusim: the Go runtime's own use of threads,
// signals and memory, none of it written here.
//
// usage: gothreads [PROCS] (default 2: GOMAXPROCS, set explicitly so the
// runtime does not size itself by sched_getaffinity's answer)
//
// Goroutines on several OS threads (clone with CLONE_THREAD, futexes):
// a worker pool fed by channels and joined by a sync.WaitGroup; goroutines
// locked to their own threads (one thread each, counted by gettid);
// garbage made until the collector has run several times, then
// debug.FreeOSMemory (madvise returns the heap's pages); a goroutine
// spinning in a loop without calls, which a stop-the-world collection can
// only stop by preempting it with a signal (tgkill SIGURG,
// rt_sigreturn on the sigaltstack); time.Sleep, a timer stopped and one
// that fires, a ticker, select with a timeout.
//
// Prints the same lines on every run and architecture (no addresses,
// times or thread ids); exits 0, or 1 naming what went wrong.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var failed bool

func check(ok bool, what string) {
	if ok {
		fmt.Println("ok:", what)
	} else {
		fmt.Println("FAILED:", what)
		failed = true
	}
}

// hash is a little work per job: a multiply-xor chain.
func hash(seed uint64, rounds int) uint64 {
	h := seed*0x9e3779b97f4a7c15 + 1
	for i := 0; i < rounds; i++ {
		h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9
	}
	return h
}

// workerPool shares 64 jobs among 4 goroutines over channels.
func workerPool() {
	jobs := make(chan int)
	results := make(chan uint64, 8)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				results <- hash(uint64(j), 20000)
			}
		}()
	}
	go func() {
		for j := 0; j < 64; j++ {
			jobs <- j
		}
		close(jobs)
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	var sum uint64
	n := 0
	for r := range results {
		sum += r
		n++
	}
	want := uint64(0)
	for j := 0; j < 64; j++ {
		want += hash(uint64(j), 20000)
	}
	fmt.Printf("worker pool: %d results, sum %016x\n", n, sum)
	check(n == 64 && sum == want, "the pool's sum is the serial sum")
}

// lockedThreads: each goroutine locks itself to an OS thread and waits
// for all the others, so they hold distinct threads at once.
func lockedThreads(n int) {
	var ready, done sync.WaitGroup
	ready.Add(n)
	done.Add(n)
	release := make(chan struct{})
	tids := make([]int, n)
	for i := 0; i < n; i++ {
		go func(i int) {
			defer done.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			tids[i] = syscall.Gettid()
			ready.Done()
			<-release
		}(i)
	}
	ready.Wait()
	close(release)
	done.Wait()
	distinct := map[int]bool{}
	for _, t := range tids {
		distinct[t] = true
	}
	fmt.Printf("locked threads: %d goroutines on %d threads\n", n, len(distinct))
	check(len(distinct) == n && tids[0] != os.Getpid(), "each locked goroutine has its own thread")
}

type node struct {
	next *node
	data [48]uint64
}

// garbage builds and drops linked lists until the collector has run.
func garbage() {
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var keep *node
	var sum uint64
	for round := 0; round < 40; round++ {
		var head *node
		for i := 0; i < 2000; i++ {
			n := &node{next: head}
			n.data[i%48] = uint64(round*2000 + i)
			head = n
		}
		for n := head; n != nil; n = n.next {
			for _, v := range n.data {
				sum += v
			}
		}
		if round%10 == 0 {
			keep = &node{next: keep}
		}
		_ = make([]byte, 256<<10) // a large object straight from the heap
	}
	runtime.GC()
	debug.FreeOSMemory() // the scavenger hands the free pages back: madvise
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	kept := 0
	for n := keep; n != nil; n = n.next {
		kept++
	}
	fmt.Printf("garbage: sum %d, kept %d\n", sum, kept)
	check(after.NumGC-before.NumGC >= 2, "the collector ran")
	check(after.HeapReleased > 0, "free heap pages were released to the kernel")
}

// spinner loops with no call (no safe point of its own) until told to
// stop; a stop-the-world collection has to preempt it asynchronously.
//
//go:noinline
func spin(stop *int32, count *uint64) {
	var h uint64 = 1
	for atomic.LoadInt32(stop) == 0 {
		h = h*6364136223846793005 + 1442695040888963407
		*count++
	}
	if h == 0 {
		fmt.Println("impossible")
	}
}

func preemption() {
	var stop int32
	var count uint64
	started := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		close(started)
		spin(&stop, &count)
		close(finished)
	}()
	<-started
	for i := 0; i < 3; i++ {
		runtime.GC() // stops the world: the spinner must be preempted
	}
	atomic.StoreInt32(&stop, 1)
	<-finished
	fmt.Println("preemption: three collections while a goroutine spun")
	check(atomic.LoadUint64(&count) > 0, "the spinner ran and stopped")
}

func timers() {
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var woke []int
	for i := 1; i <= 3; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 10 * time.Millisecond)
			mu.Lock()
			woke = append(woke, i)
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	sort.Ints(woke)
	fmt.Println("sleepers woke:", woke)
	check(time.Since(start) >= 30*time.Millisecond, "the longest sleep took its 30 ms")

	stopped := time.NewTimer(time.Hour)
	check(stopped.Stop(), "a pending timer stops")
	fired := time.NewTimer(5 * time.Millisecond)
	<-fired.C
	check(!fired.Stop(), "a fired timer does not stop")

	ticker := time.NewTicker(2 * time.Millisecond)
	for i := 0; i < 5; i++ {
		<-ticker.C
	}
	ticker.Stop()
	fmt.Println("ticker: 5 ticks")

	never := make(chan int)
	select {
	case <-never:
		check(false, "select on a silent channel")
	case <-time.After(5 * time.Millisecond):
		check(true, "select times out")
	}
}

func main() {
	procs := 2
	if len(os.Args) > 1 {
		p, err := strconv.Atoi(os.Args[1])
		if err != nil || p < 1 {
			fmt.Fprintln(os.Stderr, "usage: gothreads [PROCS]")
			os.Exit(2)
		}
		procs = p
	}
	runtime.GOMAXPROCS(procs)
	fmt.Printf("GOMAXPROCS %d\n", runtime.GOMAXPROCS(0))
	workerPool()
	lockedThreads(4)
	garbage()
	preemption()
	timers()
	if failed {
		os.Exit(1)
	}
	fmt.Println("done")
}
