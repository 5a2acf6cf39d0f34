# Runs a command in a real pseudo-terminal (Python's pty module) and relays: our stdin is typed
# into the terminal, everything the program writes to the terminal comes out on our stdout byte
# for byte (escape sequences included), so a test sees exactly what a terminal would receive.
# End of our stdin is typed as Ctrl-D. Exits with the program's exit code.
import os
import pty
import select
import sys

pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])

stdin_open = True
while True:
    watch = [fd] + ([0] if stdin_open else [])
    ready, _, _ = select.select(watch, [], [])
    if fd in ready:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        os.write(1, data)
    if stdin_open and 0 in ready:
        data = os.read(0, 65536)
        if data:
            os.write(fd, data)
        else:
            stdin_open = False
            os.write(fd, b'\x04')
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
