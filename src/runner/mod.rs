//! THE CORE: what the function runner expects. No I/O in here.
