using UnityEngine;

namespace Facecast
{
    /// <summary>Plays a baked clip as a motion source: the same blendshape and bone drivers work with
    /// it as with a live client. Follows an AudioSource's play head when given one (lips stay on the
    /// voice line even if the game stalls), else its own clock.</summary>
    [AddComponentMenu("Facecast/Facecast Baked Player")]
    public sealed class FacecastBakedPlayer : FacecastMotionSource
    {
        public FacecastBakedClip clip;
        [Tooltip("Optional: follow this source's time (play the voice line on it).")]
        public AudioSource audioSource;
        public bool playOnEnable = true;
        public bool loop;

        readonly FaceMotion _motion = new FaceMotion();
        long _version;
        float _time;
        bool _playing;

        public override FaceMotion Motion { get { return _motion; } }
        public override long MotionVersion { get { return _version; } }
        public bool IsPlaying { get { return _playing; } }
        public float Time { get { return _time; } }

        void OnEnable()
        {
            if (playOnEnable) Play();
        }

        public void Play()
        {
            _time = 0f;
            _playing = true;
            if (audioSource != null && audioSource.clip != null && !audioSource.isPlaying) audioSource.Play();
        }

        public void Stop()
        {
            _playing = false;
            _motion.Reset();
            _version++;
            RaiseMotionUpdated();
        }

        void Update()
        {
            if (!_playing || clip == null) return;
            if (audioSource != null && audioSource.clip != null)
            {
                if (!audioSource.isPlaying && _time > 0f && !loop) { Stop(); return; }
                _time = audioSource.time;
            }
            else
            {
                _time += UnityEngine.Time.deltaTime;
                if (_time > clip.duration)
                {
                    if (loop) _time %= Mathf.Max(clip.duration, 1e-3f);
                    else { Stop(); return; }
                }
            }
            clip.Evaluate(_time, _motion);
            _version++;
            RaiseMotionUpdated();
        }
    }
}
