"""The two-moons demo: train a small MLP on a scalar autodiff engine and plot what it learned."""
