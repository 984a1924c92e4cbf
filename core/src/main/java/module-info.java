module io.github.ffmreactor.core {
    exports io.github.ffmreactor.sys;
    exports io.github.ffmreactor.poll;
    exports io.github.ffmreactor.net;
    exports io.github.ffmreactor.loop;
    exports io.github.ffmreactor.cli;
}
