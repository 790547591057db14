; crtatmega328p.s: the C start-up code for the ATmega328P, the part of
; avr-libc's crtatmega328p.o that a C program needs (the wheel ships
; libgcc but not avr-libc). The demo assembles it inside PyOcclum with the
; same gcc driver and puts the object in the image, where gcc links it first.
;
; At reset the CPU jumps to address 0: the vector table (.vectors, placed
; first by the linker script). .init0 to .init9 follow one another in flash
; and fall through: .init2 here clears the zero register and SREG and sets
; the stack pointer; .init4 is libgcc's __do_copy_data / __do_clear_bss
; (linked when the program has .data / .bss); .init9 calls main, then exit
; (libgcc's: .fini9 to .fini0, which stops with interrupts off).

__SREG__ = 0x3f
__SP_H__ = 0x3e
__SP_L__ = 0x3d
__zero_reg__ = 1

        .section .vectors,"ax",@progbits
        .global __vectors
        .type   __vectors, @function
__vectors:
        jmp     __init
        ; 25 interrupt vectors; an ISR(..._vect) in the program overrides one
        .irp    n, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25
        jmp     __vector_\n
        .weak   __vector_\n
        .set    __vector_\n, __bad_interrupt
        .endr

        .text
        .global __bad_interrupt
        .type   __bad_interrupt, @function
__bad_interrupt:                ; an interrupt without a handler restarts, as in avr-libc
        jmp     __vector_default
        .weak   __vector_default
        .set    __vector_default, __vectors

        .section .init0,"ax",@progbits
        .weak   __init
__init:
        .weak   __stack         ; top of SRAM (RAMEND), unless the program says otherwise
        .set    __stack, 0x8ff

        .section .init2,"ax",@progbits
        clr     __zero_reg__
        out     __SREG__, __zero_reg__
        ldi     r28, lo8(__stack)
        ldi     r29, hi8(__stack)
        out     __SP_H__, r29
        out     __SP_L__, r28

        .section .init9,"ax",@progbits
        call    main
        jmp     exit
