"""Keys of the video `tf.train.SequenceExample`s that both record writers use.

`tf_grw.datasets.video_records` (real videos) and
`tf_grw.datasets.airplanes_records` (the procedural airplanes) write Model
Garden's video layout: Model Garden's `video_input` reads `IMAGE_KEY` and
`LABEL_KEY` (the defaults of `DataConfig.image_field_key` /
`label_field_key`); the other keys are MediaSequence-style extras that its
decoder ignores.

>>> from official.vision.dataloaders import video_input
>>> (IMAGE_KEY, LABEL_KEY) == (video_input.IMAGE_KEY, video_input.LABEL_KEY)
True
"""

# Keys read by Model Garden (`video_input.IMAGE_KEY` / `LABEL_KEY`).
IMAGE_KEY = "image/encoded"
LABEL_KEY = "clip/label/index"
# MediaSequence-style extras (ignored by Model Garden's decoder).
LABEL_STRING_KEY = "clip/label/string"
MEDIA_ID_KEY = "clip/media_id"
DATA_PATH_KEY = "clip/data_path"
FORMAT_KEY = "image/format"
HEIGHT_KEY = "image/height"
WIDTH_KEY = "image/width"
CHANNELS_KEY = "image/channels"
FRAME_RATE_KEY = "image/frame_rate"
TIMESTAMP_KEY = "image/timestamp"
