"""tf-grw: GRW smoothing (Goldman et al., NeurIPS 2025) for TF Model Garden video models."""
import setuptools

# Versions below are the ones the test suite was run against on Python 3.11.
INSTALL_REQUIRES = [
    "tf-models-official==2.20.0",
    "tensorflow==2.20.0",
    "tf-keras==2.20.1",
    "tensorflow-datasets==4.9.10",
    # TFDS 4.9.10 imports it on Python 3.11 but only declares it for < 3.9
    # (tensorflow/datasets#11212); without it download_and_prepare fails.
    "importlib_resources==7.1.0",
    "keras==3.15.1",
    "absl-py==1.4.0",
    "numpy==2.4.6",
    "matplotlib==3.11.2",
    "tqdm==4.70.1",
    "ai-edge-litert==2.3.0",
    "opencv-python-headless==5.0.0.93",
    "gin-config==0.5.0",
    # tf_grw.analysis.comparison.paired_difference (t-intervals); also a dependency of
    # tf-models-official, pinned here because we import it directly.
    "scipy==1.17.1",
]

setuptools.setup(
    name="tf-grw",
    version="0.1.0",
    description=(
        "GRW smoothing (Gaussian-random-walk temporal regularization) for "
        "TensorFlow Model Garden MoViNet and per-frame MobileNetV3 video "
        "models."
    ),
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=setuptools.find_packages(include=["tf_grw", "tf_grw.*"]),
    python_requires=">=3.10,<3.13",
    install_requires=INSTALL_REQUIRES,
    extras_require={"dev": ["pytest==9.2.0", "pytest-xdist==3.8.0"]},
    license="Apache-2.0",
)
