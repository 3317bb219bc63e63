# Fine-tuning of the final model on one's own good footage (thesis 5.4): stage-2 losses,
# 3,000 iterations, from the stage-2 result. Make the frames with
#   python tools/prepare_dataset.py VIDEO_OR_DIR... --out data/finetune
_base_ = './2lev_1res_wS_gan.py'

experiment_name = '2lev_1res_wS_finetune'
work_dir = f'./work_dirs/{experiment_name}'
load_from = './work_dirs/2lev_1res_wS_gan/iter_2000.pth'

train_dataloader = dict(
    dataset=dict(
        metainfo=dict(dataset_type='own_footage', task_name='vsr'),
        data_root='data/finetune',
        data_prefix=dict(img='', gt='')))

train_cfg = dict(max_iters=3_000)
