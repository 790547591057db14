/*
 * hello.c: the program the demo compiles inside PyOcclum, for an ATmega328P.
 *
 * It prints two lines on the first serial port (USART0) and stops: simavr
 * shows what a real board would send. The second line exercises what the
 * tool chain must get right beyond "hello": initialised data copied from
 * flash (greeting), zeroed data (calls), a call into libgcc (the 32-bit
 * division in put_number) and the start-up code that sets up the stack.
 */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>
#include <stdint.h>

static const char greeting[] = "Hello from an AVR, compiled inside PyOcclum!\n";
static uint8_t calls;  /* in .bss: zeroed by the start-up code */

static void put_char(char c)
{
    while (!(UCSR0A & _BV(UDRE0)))
        ;
    UDR0 = c;
}

static void put_string(const char *s)
{
    calls++;
    while (*s)
        put_char(*s++);
}

static void put_number(uint32_t n)
{
    char digits[11];
    uint8_t i = 0;
    do {
        digits[i++] = (char)('0' + n % 10);
        n /= 10;
    } while (n != 0);
    while (i > 0)
        put_char(digits[--i]);
}

static uint32_t fibonacci(uint8_t n)
{
    uint32_t a = 0, b = 1;
    while (n-- > 0) {
        uint32_t next = a + b;
        a = b;
        b = next;
    }
    return a;
}

int main(void)
{
    UBRR0 = 8;  /* 115200 baud at 16 MHz */
    UCSR0B = _BV(TXEN0);
    put_string(greeting);
    put_string("fib(40) = ");
    put_number(fibonacci(40));
    put_string(", calls = ");
    put_number(calls);
    put_char('\n');
    cli();
    sleep_mode();  /* with interrupts off: the board (and simavr) stops here */
    return 0;
}
