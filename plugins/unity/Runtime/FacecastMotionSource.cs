using System;
using UnityEngine;

namespace Facecast
{
    /// <summary>Anything that produces FaceMotion each frame: the live FacecastClient or a baked
    /// FacecastBakedPlayer. Drivers (blendshapes, bones) read from one of these, so the same rig works
    /// live and offline.</summary>
    public abstract class FacecastMotionSource : MonoBehaviour
    {
        /// <summary>The latest motion, owned by the source; read it on the main thread, do not keep it.</summary>
        public abstract FaceMotion Motion { get; }

        /// <summary>Increases whenever Motion changes, so drivers skip frames with nothing new.</summary>
        public abstract long MotionVersion { get; }

        /// <summary>Raised on the main thread after Motion changed.</summary>
        public event Action<FaceMotion> MotionUpdated;

        protected void RaiseMotionUpdated()
        {
            var h = MotionUpdated;
            if (h != null) h(Motion);
        }
    }
}
