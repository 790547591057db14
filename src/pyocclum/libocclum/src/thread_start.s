# libocclum: link as an object (threaded variant only: it uses atomics).
# The entry of every thread but the main one (threaded builds only).
#
# Each thread is a new instance of the program that imports the process's
# shared memory; instance globals are per instance, so the new instance's
# __stack_pointer and __tls_base still hold the main thread's initial
# values. Before any C code runs this sets the stack pointer to the
# thread's own stack and initialises its TLS block (__wasm_init_tls, which
# wasm-ld synthesises: it sets __tls_base and copies the .tdata image).
# As wasi-libc's wasi_thread_start.s.
#
# The kernel calls __occlum_thread_start(tid, desc) (docs/abi.md, Threads),
# desc being the thread's descriptor (thread.c): offset 0 the stack top,
# offset 4 the TLS block, offset 8 the "done" word.
#
# __occlum_thread_done(desc) stores 1 into the done word and wakes every
# waiter, so that a joiner may free the thread's stack and TLS at once. The
# kernel calls it (it is exported) once the thread's instance has returned
# from __occlum_thread_start or unwound from pthread_exit: the thread no
# longer runs, so nothing can touch its stack afterwards; and by then the
# kernel has made the instance ready for the next thread_spawn, so a
# pthread_create right after the join reuses it. It uses wasm locals only.

	.text

	.globaltype	__stack_pointer, i32
	.functype	__wasm_init_tls (i32) -> ()
	.functype	__occlum_thread_main (i32, i32) -> ()
	.functype	__occlum_thread_done (i32) -> ()

	.export_name	__occlum_thread_start, __occlum_thread_start
	.globl	__occlum_thread_start
	.type	__occlum_thread_start,@function
__occlum_thread_start:
	.functype	__occlum_thread_start (i32, i32) -> ()
	local.get	1
	i32.load	0
	global.set	__stack_pointer
	local.get	1
	i32.load	4
	call	__wasm_init_tls
	local.get	0
	local.get	1
	call	__occlum_thread_main
	end_function

	.export_name	__occlum_thread_done, __occlum_thread_done
	.globl	__occlum_thread_done
	.type	__occlum_thread_done,@function
__occlum_thread_done:
	.functype	__occlum_thread_done (i32) -> ()
	local.get	0
	i32.const	1
	i32.atomic.store	8
	local.get	0
	i32.const	-1
	memory.atomic.notify	8
	drop
	end_function
