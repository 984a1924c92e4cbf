package io.github.ffmreactor;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.*;
class SmokeTest { @Test void runsOn25() { assertTrue(Runtime.version().feature() >= 25); } }
