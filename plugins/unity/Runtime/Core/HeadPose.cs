namespace Facecast
{
    /// <summary>Converts the protocol's viewer-side angles to a character's local Euler angles in
    /// Unity's left-handed frame (x right, y up, z forward = the character's face toward the camera):
    /// the face turning to the viewer's right is the character turning to its own left (-y), chin up is
    /// -x, and a clockwise tilt seen from the front is +z. Engine-free so the signs are tested here.</summary>
    public static class HeadPose
    {
        public static void ToUnityEuler(float yaw, float pitch, float roll, out float x, out float y, out float z)
        {
            x = -pitch;
            y = -yaw;
            z = roll;
        }

        /// <summary>Exponential smoothing factor for a frame of dt seconds with the given time constant
        /// (0: no smoothing), frame-rate independent.</summary>
        public static float SmoothingFactor(float dt, float timeConstant)
        {
            if (timeConstant <= 0f) return 1f;
            return 1f - (float)System.Math.Exp(-dt / timeConstant);
        }
    }
}
