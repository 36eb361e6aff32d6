"""Videos → CLIP frame features.

Modules: ``inputs`` (files, folders, manifests → videos), ``sampling`` (which frames), ``frames`` (the only decord
import), ``encoder`` (the only open_clip import; weights resolved, loaded the way real weights load), ``weights``
(which kind of weights a setting names), ``cache`` (content-addressed feature cache), ``extraction`` (the batch
engine), ``executors`` (who runs the engine: this process) and ``dask_chunks`` + ``dask_extract`` (Dask workers;
the only dask import), ``steps`` (``extract_features``, with the executor passed in), ``pairs`` + ``adapt`` (torch
contrastive adaptation) + ``adapt_encoder`` (the ``clip adapt`` step: adapt, gate, register), ``torchvision_compat``.
"""
