"""Where each name of the book's ``d2l.torch`` comes from (d2l 0.17, the PyTorch edition).

tui-lab's module provides chapters 2–3; for every other name, :func:`missing_attribute`
raises an ``AttributeError`` that says which section of the book defines it, so a learner
can paste that section's definition or install the real ``d2l`` package.
"""

from __future__ import annotations

#: Book sections (number and title, d2l 0.17) and the ``#@save`` names each one defines.
SECTIONS: dict[str, str] = {
    "2.4 Calculus": "use_svg_display set_figsize set_axes plot",
    "3.1 Linear Regression": "Timer",
    "3.2 Linear Regression Implementation from Scratch": "synthetic_data linreg squared_loss sgd",
    "3.3 Concise Implementation of Linear Regression": "load_array",
    "3.5 The Image Classification Dataset": "get_fashion_mnist_labels show_images get_dataloader_workers load_data_fashion_mnist",
    "3.6 Implementation of Softmax Regression from Scratch": "accuracy evaluate_accuracy Accumulator train_epoch_ch3 Animator train_ch3 predict_ch3",
    "4.4 Model Selection, Underfitting, and Overfitting": "evaluate_loss",
    "4.10 Predicting House Prices on Kaggle": "download download_extract download_all DATA_HUB DATA_URL",
    "5.6 GPUs": "try_gpu try_all_gpus",
    "6.2 Convolutions for Images": "corr2d",
    "6.6 Convolutional Neural Networks (LeNet)": "evaluate_accuracy_gpu train_ch6",
    "7.6 Residual Networks (ResNet)": "Residual",
    "8.2 Text Preprocessing": "read_time_machine tokenize Vocab count_corpus load_corpus_time_machine",
    "8.3 Language Models and the Dataset": "seq_data_iter_random seq_data_iter_sequential SeqDataLoader load_data_time_machine",
    "8.5 Implementation of Recurrent Neural Networks from Scratch": "RNNModelScratch predict_ch8 grad_clipping train_epoch_ch8 train_ch8",
    "8.6 Concise Implementation of Recurrent Neural Networks": "RNNModel",
    "9.5 Machine Translation and the Dataset": "read_data_nmt preprocess_nmt tokenize_nmt show_list_len_pair_hist truncate_pad build_array_nmt load_data_nmt",
    "9.6 Encoder-Decoder Architecture": "Encoder Decoder EncoderDecoder",
    "9.7 Sequence to Sequence Learning": "Seq2SeqEncoder sequence_mask MaskedSoftmaxCELoss train_seq2seq predict_seq2seq bleu",
    "10.1 Attention Cues": "show_heatmaps",
    "10.3 Attention Scoring Functions": "masked_softmax AdditiveAttention DotProductAttention",
    "10.4 Bahdanau Attention": "AttentionDecoder",
    "10.5 Multi-Head Attention": "MultiHeadAttention transpose_qkv transpose_output",
    "10.6 Self-Attention and Positional Encoding": "PositionalEncoding",
    "10.7 Transformer": "PositionWiseFFN AddNorm EncoderBlock TransformerEncoder",
    "11.1 Optimization and Deep Learning": "annotate",
    "11.3 Gradient Descent": "train_2d show_trace_2d",
    "11.5 Minibatch Stochastic Gradient Descent": "get_data_ch11 train_ch11 train_concise_ch11",
    "12.1 Compilers and Interpreters": "Benchmark",
    "12.5 Training on Multiple GPUs": "split_batch",
    "12.6 Concise Implementation for Multiple GPUs": "resnet18",
    "13.1 Image Augmentation": "train_batch_ch13 train_ch13",
    "13.3 Object Detection and Bounding Boxes": "box_corner_to_center box_center_to_corner bbox_to_rect",
    "13.4 Anchor Boxes": "multibox_prior show_bboxes box_iou assign_anchor_to_bbox offset_boxes multibox_target offset_inverse nms multibox_detection",
    "13.6 The Object Detection Dataset": "read_data_bananas BananasDataset load_data_bananas",
    "13.9 Semantic Segmentation and the Dataset": "read_voc_images voc_colormap2label voc_label_indices voc_rand_crop VOCSegDataset load_data_voc",
    "13.13 Image Classification (CIFAR-10) on Kaggle": "read_csv_labels copyfile reorg_train_valid reorg_test",
    "14.3 The Dataset for Pretraining Word Embeddings": "read_ptb subsample get_centers_and_contexts RandomGenerator get_negatives batchify load_data_ptb",
    "14.7 Word Similarity and Analogy": "TokenEmbedding",
    "14.8 Bidirectional Encoder Representations from Transformers (BERT)": "get_tokens_and_segments BERTEncoder MaskLM NextSentencePred BERTModel",
    "14.9 The Dataset for Pretraining BERT": "load_data_wiki",
    "15.1 Sentiment Analysis and the Dataset": "read_imdb load_data_imdb",
    "15.2 Sentiment Analysis: Using Recurrent Neural Networks": "predict_sentiment",
    "15.4 Natural Language Inference and the Dataset": "read_snli SNLIDataset load_data_snli",
    "15.5 Natural Language Inference: Using Attention": "predict_snli",
    "17.1 Generative Adversarial Networks": "update_D update_G",
}

#: name -> the section that defines it.
DEFINED_IN: dict[str, str] = {name: section for section, names in SECTIONS.items() for name in names.split()}


def missing_message(name: str) -> str:
    """Why ``d2l.<name>`` is not in tui-lab's module, and where the book defines it."""
    section = DEFINED_IN.get(name)
    if section is None:
        return (
            f"tui-lab's built-in d2l has no attribute {name!r}, and the 0.17 edition's d2l.torch (whose "
            "chapters 2–3 it provides) has none either: check the spelling. Names of the 1.0 edition's "
            "object-oriented code (d2l.Module, d2l.Trainer, ...) need the real d2l package."
        )
    return (
        f"tui-lab's built-in d2l has no {name!r}: the book defines it in section {section}. "
        "The built-in module covers chapters 2–3 without downloads; paste that section's "
        f"definition of {name} (marked #@save) into the REPL, or install the real d2l package."
    )


def missing_attribute(name: str) -> object:
    """A module-level ``__getattr__``: every unknown name raises with :func:`missing_message`."""
    if name.startswith("__") and name.endswith("__"):
        raise AttributeError(name)  # introspection (copy, pickle, doctest) asks for dunders
    raise AttributeError(missing_message(name))
