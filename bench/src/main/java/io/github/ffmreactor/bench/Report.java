package io.github.ffmreactor.bench;

/** Placeholder, replaced below. */
final class Report {
    private Report() {}

    static int main(String[] args) throws Exception {
        return 0;
    }
}
