--- Spins until killed with SCRIPT KILL (it never writes, so it can be killed).
while true do end
